"""Decisions for people and machines: text, Markdown and HTML through Jinja templates, JSON,
the languages of the reports, and the wording of what-if changes and explanations."""
