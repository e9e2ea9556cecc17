"""The `advisor` command: `main` holds the group and the exit codes; each subcommand is a
module of its own, imported only when it is used."""
