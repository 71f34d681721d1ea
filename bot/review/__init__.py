"""The Home tab per role and the yearly review."""
