"""Every kind of message the outbox carries: one member a kind, one renderer a member.

A feature enqueues `kind=DeliveryKind.X` and hands its renderers to bot/features.py keyed by the
same members; tests/test_wiring.py holds the two against each other. The value is what a
Delivery row stores, so a member's value never changes once deliveries of it may be pending.
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryKind(StrEnum):
    # sessions
    SESSION_INVITATION = "session_invitation"
    SESSION_ANNOUNCEMENT = "session_announcement"
    WAITLIST_PROMOTED = "waitlist_promoted"
    LOTTERY_WAITLISTED = "lottery_waitlisted"
    SESSION_CONFIRMED = "session_confirmed"
    FACILITATOR_GROUPS = "facilitator_groups"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_CHANGED = "session_changed"
    WAITLIST_SESSION_CONFIRMED = "waitlist_session_confirmed"
    STAFF_SESSION_NOTICE = "staff_session_notice"
    SESSION_POST_REFRESH = "session_post_refresh"
    FACILITATOR_ROSTER_CHANGED = "facilitator_roster_changed"
    SESSION_MESSAGE = "session_message"
    SESSION_REMINDER = "session_reminder"
    # materials
    MATERIAL = "material"
    PORTAL_PUBLICATION = "portal_publication"
    CASE_INCOMPLETE = "case_incomplete"
    CASE_PUBLISHED = "case_published"
    MATERIAL_DUE = "material_due"
    # surveys
    SURVEY_INVITATION = "survey_invitation"
    SURVEY_REMINDER = "survey_reminder"
    SURVEY_CLOSED = "survey_closed"  # to the secretariat when a run closes: its headline figures
    # study groups
    GROUP_INTRODUCTION = "group_introduction"
    STUDY_GROUP_NUDGE = "study_group_nudge"
    STUDY_GROUP_UNMATCHED = "study_group_unmatched"
    STUDY_GROUP_KIT = "study_group_kit"
    STUDY_GROUP_WELCOME = "study_group_welcome"
    SELF_RUN_INVITATION = "self_run_invitation"
    SELF_RUN_ANNOUNCEMENT = "self_run_announcement"
    # lecturers' case requests
    CASE_REQUEST = "case_request"  # to the lecturer: accept or decline
    CASE_REQUEST_ANSWERED = "case_request_answered"  # to the secretariat: accepted or declined
    CASE_REQUEST_DUE = "case_request_due"  # to the lecturer: a week and a day before the due date
    CASE_REQUEST_REVIEW = "case_request_review"  # to the secretariat: approve or return the material
    CASE_REQUEST_REVIEWED = "case_request_reviewed"  # to the lecturer: approved, or returned with a note
    CASE_REQUEST_WITHDRAWN = "case_request_withdrawn"  # to the lecturer: the request was withdrawn
    # the case library
    LIBRARY_CASE = "library_case"
    LIBRARY_SHARE_OFFER = "library_share_offer"
    # date polls (日程調整)
    POLL_TABLE = "poll_table"  # to the group's space: the table members answer in
    POLL_TABLE_REFRESH = "poll_table_refresh"  # the table updated in place (coalesced per window)
    POLL_NUDGE = "poll_nudge"  # to a member who has not answered: once, in office hours
    POLL_DECIDED = "poll_decided"  # to the group's space: the chosen slot
    POLL_REMINDER = "poll_reminder"  # to the group's space: a plain reminder before the chosen slot
    POLL_BALLOT = "poll_ballot"  # to each member's DM: the same ○ △ × selects, in their language
    POLL_BALLOT_REFRESH = "poll_ballot_refresh"  # that DM updated in place (an answer given in the channel, the close)
