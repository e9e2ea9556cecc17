"""Rule packs: the condition language, loading and checking rule files, the pack cache,
settings (advisor.yaml), rule snippets, explanations and golden test cases."""
