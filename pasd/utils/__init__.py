"""Small shared utilities (registry, optional imports, atomic file writes)."""
