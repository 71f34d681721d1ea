"""Thin Slack adapters by surface: commands/, actions/, views/, events/. bot/features.py lists
which of them each feature brings; bot/app.py registers them."""
