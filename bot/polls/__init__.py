"""Date polls for study groups (日程調整): /jirei poll."""
