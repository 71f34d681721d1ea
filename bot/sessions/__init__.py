"""Sessions: cases, sessions, joining, the deadline, reminders, the plan file."""
