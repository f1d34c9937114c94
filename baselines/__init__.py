"""Adapters for the comparison methods, one per file, behind a single ``Method`` interface."""
