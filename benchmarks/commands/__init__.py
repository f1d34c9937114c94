"""CLI commands; each module exposes ``command`` and only parses arguments and calls library code."""
