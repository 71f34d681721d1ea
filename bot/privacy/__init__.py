"""Forget-me and material retention."""
