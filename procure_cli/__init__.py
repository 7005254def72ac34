"""The `procure` command line."""
