"""Everything Jirei does, feature by feature, as plain values: read this file to know the bot.

Each feature declares what Slack sends it — the /jirei commands it answers (grammar class → handler in
handlers/commands/), the buttons and selects (action_id → listener in handlers/actions/), the forms
(a modal's callback_id → its submission in handlers/views/), the events (handlers/events/) — and what it
does on its own: its delivery renderers (kind → renderer in bot/<feature>/messages.py) and periodic jobs
(bot/<feature>/jobs.py). `wire(FEATURES)` merges them into one route table, WIRING: bot/app.py registers
its listeners with Bolt's own app.command/app.action/app.view/app.event, the /jirei listener looks each
command up in it, bot/runtime.py runs the jobs and hands the renderers to the dispatcher, and the
console and the tests jump the clock with `next_due`. Nothing registers itself on import: what is not
listed here does not run (tests/test_wiring.py fails for a listener or an id no feature declares).
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import partial

from bot import ids, observability
from bot.core import grammar
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
from bot.wiring import Event, Feature, Job, wire
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
from handlers.commands import case_requests as request_commands
from handlers.commands import checks as check_commands
from handlers.commands import groups as group_commands
from handlers.commands import jirei
from handlers.commands import library as library_commands
from handlers.commands import materials as material_commands
from handlers.commands import people as people_commands
from handlers.commands import polls as poll_commands
from handlers.commands import privacy as privacy_commands
from handlers.commands import review as review_commands
from handlers.commands import sessions as session_commands
from handlers.commands import surveys as survey_commands
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

# /jirei: the one slash command. It parses its text (bot/core/grammar.py) and hands the command to the
# handler a feature below declares for its class; help is its own.
COMMANDS = Feature(
    name="commands",
    slash_commands={"/jirei": jirei.jirei},
    commands={grammar.Help: jirei.show_help, grammar.AdminHelp: jirei.show_help},
)

# What follows a held session, in its closing transaction.
AFTER_HELD = (surveys.start_post_session_survey, study_groups.introduce_discussion_groups, library.offer_share)

# Profiles, the pledge, roles, the Home tab, and direct messages to the bot (a feature may claim one
# first: see dm_handlers).
PEOPLE = Feature(
    name="people",
    commands={
        grammar.ProfileOpen: people_commands.open_profile,
        grammar.ProfileSet: people_commands.set_profile,
        grammar.PledgeShow: people_commands.show_pledge,
        grammar.PledgeAccept: people_commands.accept_pledge,
        grammar.RoleGrantCmd: people_commands.grant_role,
    },
    actions={ids.OPEN_PROFILE: people_actions.open_profile, ids.ACCEPT_PLEDGE: people_actions.accept_pledge},
    views={ids.PROFILE_VIEW: people_views.submit_profile},
    events=(
        Event("app_home_opened", people_events.home_opened),
        Event("message", people_events.direct_message, matchers=(people_events.in_direct_message,)),
    ),
)

SESSIONS = Feature(
    name="sessions",
    commands={
        grammar.SessionsList: session_commands.list_sessions,
        grammar.Mine: session_commands.my_sessions,
        grammar.Join: session_commands.join,
        grammar.Leave: session_commands.leave,
        grammar.CaseNew: session_commands.new_case,
        grammar.CaseEdit: session_commands.edit_case,
        grammar.SessionNew: session_commands.new_session,
        grammar.SessionNewForm: session_commands.new_session_form,
        grammar.SessionEdit: session_commands.edit_session,
        grammar.SessionCancel: session_commands.cancel_session,
        grammar.Announce: session_commands.announce,
        grammar.Roster: session_commands.roster,
        grammar.Attend: session_commands.attend,
        grammar.SessionMessage: session_commands.message_registrants,
    },
    actions={
        ids.SESSION_JOIN: session_actions.join_button,
        ids.SESSION_JOIN_ELSEWHERE: session_actions.join_button,  # "join anyway", in another region
        ids.SESSION_NEW_DUPLICATE: session_actions.create_duplicate,
        ids.SESSION_LEAVE: session_actions.leave_button,
        ids.SESSION_CHECKIN: session_actions.checkin_button,
        ids.SESSION_CHECKIN_UNDO: session_actions.undo_button,
    },
    views={ids.SESSION_NEW_VIEW: session_views.submit_session},
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
        DeliveryKind.SESSION_POST_REFRESH: session_messages.render_post_refresh,
        DeliveryKind.FACILITATOR_ROSTER_CHANGED: session_messages.render_roster_changed,
        DeliveryKind.SESSION_MESSAGE: session_messages.render_session_message,
        DeliveryKind.SESSION_REMINDER: session_messages.render_session_reminder,
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
    commands={grammar.MaterialAdd: material_commands.add_material, grammar.Publish: material_commands.publish},
    actions={
        ids.MATERIAL_READ: material_actions.mark_read,
        ids.MATERIAL_CONFIRM: material_actions.confirm_findings,
        ids.MATERIAL_ACCEPT_PROPOSAL: material_actions.accept_proposal,
        ids.MATERIAL_WITHDRAW: material_actions.withdraw,
        ids.MATERIAL_LINK_CHECK_OPEN: material_actions.open_link_check,
        ids.PUBLISH_EARLY: material_actions.publish_early,
        ids.MATERIAL_UPLOAD_OPEN: material_actions.open_upload,
    },
    views={
        ids.MATERIAL_UPLOAD_VIEW: material_views.submit_upload,
        ids.MATERIAL_LINK_CHECK_VIEW: material_views.submit_link_check,
    },
    renderers={
        DeliveryKind.MATERIAL: material_messages.render_material,
        DeliveryKind.PORTAL_PUBLICATION: material_messages.render_publication,
        DeliveryKind.CASE_INCOMPLETE: material_messages.render_incomplete,
        DeliveryKind.CASE_PUBLISHED: material_messages.render_published,
        DeliveryKind.MATERIAL_DUE: material_messages.render_material_due,
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
    commands={
        grammar.SurveyPlanning: survey_commands.send_planning,
        grammar.SurveySend: survey_commands.send_post_session,
        grammar.SurveySummary: survey_commands.summary,
        grammar.SurveyClose: survey_commands.close,
        grammar.Report: survey_commands.report,
    },
    # The dialog in the DM: every answer button takes the same path, only the step differs. An option's
    # button is survey_choose:<option> (one actions block needs distinct ids), its radio survey_choose.
    actions={
        ids.SURVEY_START: survey_actions.start,
        re.compile(ids.SURVEY_CHOOSE_PATTERN): survey_actions.choose,
        ids.SURVEY_MULTI: survey_actions.choose_several,
        ids.SURVEY_NEXT: survey_actions.next_question,
        ids.SURVEY_SKIP: survey_actions.skip,
        ids.SURVEY_BACK: survey_actions.back,
        ids.SURVEY_CANCEL: survey_actions.cancel,
        ids.SURVEY_TEXT_OPEN: survey_actions.open_text,
        # A free-text answer in which the personal-data check found something: the proposal, or one's own.
        ids.SURVEY_TEXT_USE_PROPOSAL: survey_actions.use_proposal,
        ids.SURVEY_TEXT_KEEP: survey_actions.keep,
        ids.SURVEY_TEXT_KEEP_CONFIRM: survey_actions.keep_confirmed,
        ids.SURVEY_TEXT_KEEP_BACK: survey_actions.keep_back,
        ids.SURVEY_TEXT_EDIT: survey_actions.edit,
    },
    views={ids.SURVEY_TEXT_VIEW: survey_views.submit_text},
    renderers={
        DeliveryKind.SURVEY_INVITATION: survey_messages.render_invitation,
        DeliveryKind.SURVEY_REMINDER: survey_messages.render_reminder,
        DeliveryKind.SURVEY_CLOSED: survey_messages.render_closed,
    },
    jobs=(Job("survey_runs_closing", survey_jobs.close_due_runs, every=5 * MINUTE),),
    next_due=(surveys.next_survey_deadline,),
    # A DM while one's dialog waits (a free-text answer, キャンセル, help) is the dialog's, before anyone's.
    dm_handlers=(survey_actions.answer_by_dm,),
)

STUDY_GROUPS = Feature(
    name="study_groups",
    commands={
        grammar.Groups: group_commands.my_groups,
        grammar.Propose: group_commands.open_propose_modal,
        grammar.NudgeNow: group_commands.nudge_now,
    },
    actions={
        ids.NUDGE_ACCEPT: group_actions.accept_nudge,
        ids.NUDGE_LATER: group_actions.nudge_later,
        ids.NUDGE_STOP: group_actions.stop_nudges,
    },
    views={ids.PROPOSE_VIEW: group_views.submit_proposal},
    renderers={
        DeliveryKind.STUDY_GROUP_NUDGE: study_group_messages.render_nudge,
        DeliveryKind.STUDY_GROUP_UNMATCHED: study_group_messages.render_unmatched,
        DeliveryKind.STUDY_GROUP_KIT: study_group_messages.render_kit,
        DeliveryKind.STUDY_GROUP_WELCOME: study_group_messages.render_welcome,
        DeliveryKind.GROUP_INTRODUCTION: study_group_messages.render_introduction,
        DeliveryKind.SELF_RUN_INVITATION: study_group_messages.render_self_run_invitation,
        DeliveryKind.SELF_RUN_ANNOUNCEMENT: study_group_messages.render_self_run_announcement,
    },
    jobs=(
        # The monthly matching looks each weekday morning whether a month has passed since the last.
        Job("study_group_matching", study_group_jobs.monthly_matching, cron="0 10 * * mon-fri"),
        # A group's channel opens within a minute of its third acceptance.
        Job("study_group_spaces", study_group_jobs.open_study_group_spaces, every=MINUTE),
    ),
)

# The secretariat's yearly review, a session's roster, and the Home tab's 読みました.
REVIEW = Feature(
    name="review",
    commands={grammar.YearReport: review_commands.year_report},
    actions={
        ids.SESSION_ROSTER: review_actions.roster_button,
        ids.HOME_MATERIAL_READ: review_actions.material_read_button,
    },
)

# /jirei check (the personal-data check) and the guard on study groups' channels.
CHECKS = Feature(
    name="checks",
    commands={grammar.Check: check_commands.open_check, grammar.GuardSet: check_commands.set_guard},
    actions={ids.GUARD_OPEN_MESSAGE: check_actions.open_message},
    views={ids.CHECK_VIEW: check_views.submit_check},
    events=(Event("message", check_events.guard_message, matchers=(check_events.in_private_channel,)),),
)

PRIVACY = Feature(
    name="privacy",
    commands={grammar.ForgetMe: privacy_commands.forget_me},
    actions={ids.FORGET_ME_CONFIRM: privacy_actions.confirm_forget_me},
    jobs=(
        Job("retention", privacy_jobs.apply_retention, cron="30 3 * * *"),
        Job("processed_requests_cleanup", observability.forget_old_request_keys, every=60 * MINUTE),
    ),
)

# 事例作成の依頼: the secretariat asks a lecturer for a case; the reminders before its due date are
# outbox rows with their own due times (no job), and its material waits for the secretariat's approval.
REQUESTS = Feature(
    name="requests",
    commands={
        grammar.RequestOpen: request_commands.open_request_form,
        grammar.RequestWithdraw: request_commands.withdraw_request,
    },
    actions={
        ids.REQUEST_ACCEPT: request_actions.accept,
        ids.REQUEST_DECLINE: request_actions.decline,
        ids.REQUEST_APPROVE: request_actions.approve,
        ids.REQUEST_RETURN: request_actions.give_back,
    },
    views={
        ids.REQUEST_VIEW: request_views.submit_request,
        ids.REQUEST_DECLINE_VIEW: request_views.submit_decline,
        ids.REQUEST_RETURN_VIEW: request_views.submit_return,
    },
    renderers={
        DeliveryKind.CASE_REQUEST: request_messages.render_asked,
        DeliveryKind.CASE_REQUEST_ANSWERED: request_messages.render_answered,
        DeliveryKind.CASE_REQUEST_DUE: request_messages.render_due,
        DeliveryKind.CASE_REQUEST_REVIEW: request_messages.render_review,
        DeliveryKind.CASE_REQUEST_REVIEWED: request_messages.render_reviewed,
        DeliveryKind.CASE_REQUEST_WITHDRAWN: request_messages.render_withdrawn,
    },
)

# /jirei cases: published cases (and study groups' shared ones), searched; opened with the pledge.
LIBRARY = Feature(
    name="library",
    commands={grammar.CasesSearch: library_commands.search_cases},
    actions={
        ids.LIBRARY_OPEN: library_actions.open_case,
        ids.LIBRARY_SHARE: library_actions.share_case,
        ids.LIBRARY_SHARE_ACCEPT: library_actions.share_anonymised,
    },
    renderers={
        DeliveryKind.LIBRARY_CASE: library_messages.render_case,
        DeliveryKind.LIBRARY_SHARE_OFFER: library_messages.render_share_offer,
    },
    # A published case is in the library within a minute; so is a change to it.
    jobs=(Job("library_index", library_jobs.index_library, every=MINUTE),),
)

# /jirei poll (日程調整): a study group's date poll, answered ○ △ × in its space or by DM, closed into a
# self-run session or a plain reminder; its table, DMs, refreshes, nudge and reminders are outbox rows (no job).
POLLS = Feature(
    name="polls",
    commands={grammar.PollOpen: poll_commands.open_poll_form},
    actions={
        ids.POLL_ANSWER: poll_actions.answer_in_channel,
        ids.POLL_DM_ANSWER: poll_actions.answer_in_dm,
        ids.POLL_CLOSE: poll_actions.open_close_form,
    },
    views={ids.POLL_VIEW: poll_views.submit_poll, ids.POLL_CLOSE_VIEW: poll_views.submit_close},
    renderers={
        DeliveryKind.POLL_TABLE: poll_messages.render_table,
        DeliveryKind.POLL_TABLE_REFRESH: poll_messages.render_table_refresh,
        DeliveryKind.POLL_NUDGE: poll_messages.render_nudge,
        DeliveryKind.POLL_DECIDED: poll_messages.render_decided,
        DeliveryKind.POLL_REMINDER: poll_messages.render_reminder,
        DeliveryKind.POLL_BALLOT: poll_messages.render_ballot,
        DeliveryKind.POLL_BALLOT_REFRESH: poll_messages.render_ballot_refresh,
    },
)

FEATURES = (COMMANDS, PEOPLE, SESSIONS, MATERIALS, SURVEYS, STUDY_GROUPS, REVIEW, PRIVACY, CHECKS, REQUESTS, LIBRARY, POLLS)
WIRING = wire(FEATURES)
