"""The command line: `python -m comms` and its subcommands."""
