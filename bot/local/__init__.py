"""The local Slack, the console and the demo (offline use and tests). No serving module imports it."""
