"""Self-organised study groups: matching, nudges, spaces, self-run sessions."""
