"""The `annotate` command line: thin typer wrappers over the library."""
