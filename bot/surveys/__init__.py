"""Surveys as data: definitions, the dialog state machine, the tally, exports and charts."""
