"""Compatibility layers for third-party packages that lag behind their dependencies."""
