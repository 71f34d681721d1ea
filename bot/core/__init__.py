"""Slack-agnostic pieces the features share: the /jirei grammar, clock, i18n, time formats,
the lottery, grouping and matching rules, the personal-data checker, documents, exports."""
