"""The composition of Jirei: every feature and what it hands over, as plain values.

bot/app.py registers the listeners (/jirei among them, whose router is handlers/commands/jirei.py ROUTES),
bot/runtime.py runs the jobs and hands the renderers to the dispatcher, the console and the tests
jump the clock with `next_due`. Nothing registers itself on import: what is not listed here does
not run.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from bot import observability
from bot.delivery.kinds import DeliveryKind
from bot.library import jobs as library_jobs
from bot.library import messages as library_messages
from bot.library import service as library
from bot.materials import jobs as material_jobs
from bot.polls import messages as poll_messages
from bot.polls import service as polls
from bot.privacy import jobs as privacy_jobs
from bot.requests import messages as request_messages
from bot.requests import service as case_requests
from bot.sessions import jobs as session_jobs
from bot.study_groups import jobs as study_group_jobs
from bot.surveys import jobs as survey_jobs
from bot.materials import messages as material_messages
from bot.sessions import messages as session_messages
from bot.study_groups import messages as study_group_messages
from bot.surveys import messages as survey_messages
from bot.materials import service as material_service
from bot.sessions import changes as session_changes
from bot.sessions import reminders
from bot.study_groups import service as study_groups
from bot.surveys import service as surveys
from bot.wiring import Feature, Job, wire
from handlers.actions import case_requests as request_actions
from handlers.actions import checks as check_actions
from handlers.actions import groups as group_actions
from handlers.actions import library as library_actions
from handlers.actions import materials as material_actions
from handlers.actions import people as people_actions
from handlers.actions import polls as poll_actions
from handlers.actions import privacy as privacy_actions
from handlers.actions import review as review_actions
from handlers.actions import sessions as session_actions
from handlers.actions import surveys as survey_actions
from handlers.commands import jirei
from handlers.events import checks as check_events
from handlers.events import people as people_events
from handlers.views import case_requests as request_views
from handlers.views import checks as check_views
from handlers.views import groups as group_views
from handlers.views import materials as material_views
from handlers.views import people as people_views
from handlers.views import polls as poll_views
from handlers.views import sessions as session_views
from handlers.views import surveys as survey_views

MINUTE = timedelta(minutes=1)

# /jirei: one slash command; its words and their handlers are the table in handlers/commands/jirei.py.
COMMANDS = Feature(name="commands", listeners=(jirei.register,))

# What follows a held session, in its closing transaction.
AFTER_HELD = (surveys.start_post_session_survey, study_groups.introduce_discussion_groups, library.offer_share)

PEOPLE = Feature(
    name="people",
    listeners=(people_actions.register, people_views.register, people_events.register),
)

SESSIONS = Feature(
    name="sessions",
    listeners=(session_actions.register, session_views.register),
    renderers={
        DeliveryKind.SESSION_INVITATION: session_messages.render_invitation,
        DeliveryKind.SESSION_ANNOUNCEMENT: session_messages.render_announcement,
        DeliveryKind.WAITLIST_PROMOTED: session_messages.render_promoted,
        DeliveryKind.LOTTERY_WAITLISTED: session_messages.render_lottery_waitlisted,
        DeliveryKind.SESSION_CONFIRMED: session_messages.render_confirmed,
        DeliveryKind.FACILITATOR_GROUPS: session_messages.render_facilitator_groups,
        DeliveryKind.SESSION_CANCELLED: session_messages.render_cancelled,
        DeliveryKind.SESSION_CHANGED: session_messages.render_changed,
        DeliveryKind.WAITLIST_SESSION_CONFIRMED: session_messages.render_waitlist_confirmed,
        DeliveryKind.STAFF_SESSION_NOTICE: session_messages.render_staff_notice,
        session_changes.REFRESH_KIND: session_messages.render_post_refresh,
        session_changes.ROSTER_CHANGED_KIND: session_messages.render_roster_changed,
        session_changes.MESSAGE_KIND: session_messages.render_session_message,
        reminders.REMINDER_KIND: session_messages.render_session_reminder,
    },
    jobs=(
        # A deadline is decided within a minute; a session ends and its follow-ups start within one.
        Job("session_decisions", session_jobs.decide_due_sessions, every=MINUTE),
        Job("sessions_closing", partial(session_jobs.close_finished_sessions, follow_ups=AFTER_HELD),
            every=MINUTE),
    ),
    next_due=(session_jobs.next_session_moment, session_jobs.next_delivery_moment),
)

MATERIALS = Feature(
    name="materials",
    listeners=(material_actions.register, material_views.register),
    renderers={
        DeliveryKind.MATERIAL: material_messages.render_material,
        DeliveryKind.PORTAL_PUBLICATION: material_messages.render_publication,
        material_service.INCOMPLETE_KIND: material_messages.render_incomplete,
        material_service.PUBLISHED_KIND: material_messages.render_published,
        material_service.MATERIAL_DUE_KIND: material_messages.render_material_due,
    },
    jobs=(
        Job("materials_release", material_jobs.release_due_materials, every=MINUTE),
        Job("portal_publication", material_jobs.publish_when_complete, every=10 * MINUTE),
        # A case that can no longer be held at every bureau is reported within the hour.
        Job("incomplete_cases", material_jobs.report_incomplete_cases, every=60 * MINUTE),
        # A missing material is reminded of a week and a day before its release, and after it.
        Job("materials_due", material_jobs.remind_due_materials, every=60 * MINUTE),
    ),
)

SURVEYS = Feature(
    name="surveys",
    listeners=(survey_actions.register, survey_views.register),
    renderers={
        surveys.INVITATION_KIND: survey_messages.render_invitation,
        surveys.REMINDER_KIND: survey_messages.render_reminder,
        surveys.CLOSED_KIND: survey_messages.render_closed,
    },
    jobs=(Job("survey_runs_closing", survey_jobs.close_due_runs, every=5 * MINUTE),),
    next_due=(surveys.next_survey_deadline,),
    dm_handlers=(survey_actions.answer_by_dm,),
)

STUDY_GROUPS = Feature(
    name="study_groups",
    listeners=(group_actions.register, group_views.register),
    renderers={
        study_groups.NUDGE_KIND: study_group_messages.render_nudge,
        study_groups.UNMATCHED_KIND: study_group_messages.render_unmatched,
        study_groups.KIT_KIND: study_group_messages.render_kit,
        study_groups.WELCOME_KIND: study_group_messages.render_welcome,
        study_groups.INTRODUCTION_KIND: study_group_messages.render_introduction,
        study_groups.INVITATION_KIND: study_group_messages.render_self_run_invitation,
        study_groups.ANNOUNCEMENT_KIND: study_group_messages.render_self_run_announcement,
    },
    jobs=(
        # The monthly matching looks each weekday morning whether a month has passed since the last.
        Job("study_group_matching", study_group_jobs.monthly_matching, cron="0 10 * * mon-fri"),
        # A group's channel opens within a minute of its third acceptance.
        Job("study_group_spaces", study_group_jobs.open_study_group_spaces, every=MINUTE),
    ),
)

REVIEW = Feature(name="review", listeners=(review_actions.register,))

# /jirei check (the personal-data check) and the guard on study groups' channels.
CHECKS = Feature(name="checks", listeners=(check_actions.register, check_views.register, check_events.register))

PRIVACY = Feature(
    name="privacy",
    listeners=(privacy_actions.register,),
    jobs=(
        Job("retention", privacy_jobs.apply_retention, cron="30 3 * * *"),
        Job("processed_requests_cleanup", observability.forget_old_request_keys, every=60 * MINUTE),
    ),
)

# 事例作成の依頼: the secretariat asks a lecturer for a case; the reminders before its due date are
# outbox rows with their own due times (no job), and its material waits for the secretariat's approval.
REQUESTS = Feature(
    name="requests",
    listeners=(request_actions.register, request_views.register),
    renderers={
        case_requests.ASKED_KIND: request_messages.render_asked,
        case_requests.ANSWERED_KIND: request_messages.render_answered,
        case_requests.DUE_KIND: request_messages.render_due,
        case_requests.REVIEW_KIND: request_messages.render_review,
        case_requests.REVIEWED_KIND: request_messages.render_reviewed,
        case_requests.WITHDRAWN_KIND: request_messages.render_withdrawn,
    },
)

# /jirei cases: published cases (and study groups' shared ones), searched; opened with the pledge.
LIBRARY = Feature(
    name="library",
    listeners=(library_actions.register,),
    renderers={
        library.OPEN_KIND: library_messages.render_case,
        library.SHARE_OFFER_KIND: library_messages.render_share_offer,
    },
    # A published case is in the library within a minute; so is a change to it.
    jobs=(Job("library_index", library_jobs.index_library, every=MINUTE),),
)

# /jirei poll (日程調整): a study group's date poll, answered ○ △ × in its space or by DM, closed into a
# self-run session or a plain reminder; its table, DMs, refreshes, nudge and reminders are outbox rows (no job).
POLLS = Feature(
    name="polls",
    listeners=(poll_actions.register, poll_views.register),
    renderers={
        polls.TABLE_KIND: poll_messages.render_table,
        polls.REFRESH_KIND: poll_messages.render_table_refresh,
        polls.NUDGE_KIND: poll_messages.render_nudge,
        polls.DECIDED_KIND: poll_messages.render_decided,
        polls.REMINDER_KIND: poll_messages.render_reminder,
        polls.BALLOT_KIND: poll_messages.render_ballot,
        polls.BALLOT_REFRESH_KIND: poll_messages.render_ballot_refresh,
    },
)

FEATURES = (COMMANDS, PEOPLE, SESSIONS, MATERIALS, SURVEYS, STUDY_GROUPS, REVIEW, PRIVACY, CHECKS, REQUESTS, LIBRARY, POLLS)
WIRING = wire(FEATURES)
