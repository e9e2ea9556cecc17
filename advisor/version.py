"""The advisor's version: one definition, read by packaging, `--version`, the pack cache and the server."""

__version__ = "0.1.0"
