"""The decision core: the proposal and decision records, facts, scoring and the what-if search.

Pure: no file, network, template or engine. What it needs from outside (a rule's snippet
renderer, a judge of changed proposals) is handed in by the caller.
"""
