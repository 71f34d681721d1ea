"""Case material: upload, the personal-data check, the pledge-gated release, publication."""
