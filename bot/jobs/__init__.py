"""Periodic jobs, each run by the runtime on the cadence bot/features.py gives it.

A job takes the Deps, opens its own units of work and calls the services; what talks to Slack
(opening a study group's channel, inviting) happens with no transaction open, and is safe to retry.
"""
