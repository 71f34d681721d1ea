"""The case library: published and shared cases, searched with /jirei cases."""
