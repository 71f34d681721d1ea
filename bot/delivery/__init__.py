"""The outbox: every message the bot owes is a Delivery row (see DESIGN §4).

Features enqueue with `outbox.enqueue(...)` inside the same unit of work as the change that
causes the message, and hand a renderer for their kind to bot/features.py. The
dispatcher claims due rows, renders them at send time (so texts are never stored), sends,
and records Slack's ts.
"""
