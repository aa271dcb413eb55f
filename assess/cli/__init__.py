"""The command line: parsing (``main``), one module per command, the exit codes."""
