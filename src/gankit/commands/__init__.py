"""The subcommands of `gankit`: one module each, with `add_parser(subparsers)` and `run(args)`."""
