"""Every action_id, callback_id and block_id the app uses, in one place.

Builders, the features' declarations (bot/features.py) and tests import these names; nothing
spells the strings twice. Sections are grouped by feature. A name says what the id is: *_VIEW a
modal's callback_id, *_BLOCK a block_id, *_INPUT a form field's action_id (its value comes with the
view's submission, never as an action of its own); any other is an action_id a button or select
sends, which a feature must declare (tests/test_wiring.py reads the builders and fails otherwise).
"""

# --- profile and pledge -----------------------------------------------------
PROFILE_VIEW = "profile_view"
PROFILE_NAME_BLOCK = "profile_name"
PROFILE_NAME_INPUT = "profile_name_input"
PROFILE_PREFECTURE_BLOCK = "profile_prefecture"
PROFILE_PREFECTURE_INPUT = "profile_prefecture_input"
PROFILE_AFFILIATION_BLOCK = "profile_affiliation"
PROFILE_AFFILIATION_INPUT = "profile_affiliation_input"
PROFILE_THEMES_BLOCK = "profile_themes"
PROFILE_THEMES_INPUT = "profile_themes_input"
PROFILE_LANG_BLOCK = "profile_lang"
PROFILE_LANG_INPUT = "profile_lang_input"
PROFILE_NUDGES_BLOCK = "profile_nudges"
PROFILE_NUDGES_INPUT = "profile_nudges_input"
OPEN_PROFILE = "open_profile"
ACCEPT_PLEDGE = "accept_pledge"

# --- sessions -----------------------------------------------------------------
SESSION_JOIN = "session_join"
SESSION_JOIN_ELSEWHERE = "session_join_elsewhere"  # "join anyway" for a session in another region
SESSION_LEAVE = "session_leave"
SESSION_CHECKIN = "session_checkin"
SESSION_CHECKIN_UNDO = "session_checkin_undo"
SESSION_ROSTER = "session_roster"
SESSION_NEW_VIEW = "session_new_view"
SESSION_FIELD_BLOCKS = {  # field name -> (block_id, action_id) of the new-session modal
    name: (f"session_new_{name}", f"session_new_{name}_input")
    for name in ("case", "bureau", "start", "minutes", "capacity", "min", "deadline", "release", "format",
                 "facilitator", "url", "lottery")
}

# --- materials ------------------------------------------------------------------
MATERIAL_READ = "material_read"
MATERIAL_UPLOAD_OPEN = "material_upload_open"
MATERIAL_UPLOAD_VIEW = "material_upload_view"
MATERIAL_CASE_BLOCK = "material_case"
MATERIAL_CASE_INPUT = "material_case_input"
MATERIAL_KIND_BLOCK = "material_kind"
MATERIAL_KIND_INPUT = "material_kind_input"
MATERIAL_FILE_BLOCK = "material_file"
MATERIAL_FILE_INPUT = "material_file_input"
MATERIAL_CONFIRM = "material_confirm"
MATERIAL_ACCEPT_PROPOSAL = "material_accept_proposal"
MATERIAL_WITHDRAW = "material_withdraw"
MATERIAL_LINK_CHECK_OPEN = "material_link_check_open"
MATERIAL_LINK_CHECK_VIEW = "material_link_check_view"
MATERIAL_LINK_CHECK_BLOCK = "material_link_check"
MATERIAL_LINK_CHECK_INPUT = "material_link_check_input"
SESSION_NEW_DUPLICATE = "session_new_duplicate"  # value: the command text with duplicate=ok
PUBLISH_EARLY = "publish_early"  # value: the case code

# --- the case library --------------------------------------------------------------
LIBRARY_OPEN = "library_open"  # value: the case code
LIBRARY_SHARE = "library_share"  # value: the self-run session's code
LIBRARY_SHARE_ACCEPT = "library_share_accept"  # value: the self-run session's code

# --- study groups ----------------------------------------------------------------
NUDGE_ACCEPT = "nudge_accept"
NUDGE_LATER = "nudge_later"
NUDGE_STOP = "nudge_stop"
PROPOSE_VIEW = "propose_view"
PROPOSE_TITLE_BLOCK = "propose_title"
PROPOSE_TITLE_INPUT = "propose_title_input"
PROPOSE_THEME_BLOCK = "propose_theme"
PROPOSE_THEME_INPUT = "propose_theme_input"
PROPOSE_PLACE_BLOCK = "propose_place"
PROPOSE_PLACE_INPUT = "propose_place_input"
PROPOSE_START_BLOCK = "propose_start"
PROPOSE_START_INPUT = "propose_start_input"
PROPOSE_CAPACITY_BLOCK = "propose_capacity"
PROPOSE_CAPACITY_INPUT = "propose_capacity_input"
PROPOSE_URL_BLOCK = "propose_url"
PROPOSE_URL_INPUT = "propose_url_input"

# --- privacy ---------------------------------------------------------------------
FORGET_ME_CONFIRM = "forget_me_confirm"

# --- home tab and yearly review --------------------------------------------------
# The Home tab has no response_url, so its 読みました button has its own handler, which
# marks the material read and republishes the tab.
HOME_MATERIAL_READ = "home_material_read"

# --- surveys (owned by the survey feature) ----------------------------------
# Buttons of one actions block need distinct action_ids, so each option button is
# f"{SURVEY_CHOOSE}:{option_id}"; register the handler with SURVEY_CHOOSE_PATTERN
# (it also matches the bare SURVEY_CHOOSE used by radio buttons).
SURVEY_CHOOSE = "survey_choose"
SURVEY_CHOOSE_PATTERN = r"^survey_choose(:[a-z0-9_]+)?$"
SURVEY_MULTI = "survey_multi"
SURVEY_NEXT = "survey_next"
SURVEY_SKIP = "survey_skip"
SURVEY_BACK = "survey_back"
SURVEY_START = "survey_start"
SURVEY_TEXT_OPEN = "survey_text_open"
SURVEY_CANCEL = "survey_cancel"
SURVEY_TEXT_VIEW = "survey_text_view"
SURVEY_TEXT_BLOCK = "survey_text"
SURVEY_TEXT_INPUT = "survey_text_input"
SURVEY_ANSWER_BLOCK = "survey_answer"
SURVEY_NAV_BLOCK = "survey_nav"
# A free-text answer in which the personal-data check found something: store the proposal, edit,
# or keep the person's own text (after confirming). The two texts travel in these plain_text blocks
# of the proposal message itself: nothing of them is stored before the choice.
SURVEY_TEXT_USE_PROPOSAL = "survey_text_use_proposal"
SURVEY_TEXT_EDIT = "survey_text_edit"
SURVEY_TEXT_KEEP = "survey_text_keep"
SURVEY_TEXT_KEEP_CONFIRM = "survey_text_keep_confirm"
SURVEY_TEXT_KEEP_BACK = "survey_text_keep_back"
SURVEY_PROPOSAL_BLOCK = "survey_proposal"
SURVEY_ORIGINAL_BLOCK = "survey_original"

# /jirei check: the personal-data check for everyone (nothing stored)
CHECK_VIEW = "check_view"
CHECK_RESULT_VIEW = "check_result_view"
CHECK_TEXT_BLOCK = "check_text"
CHECK_TEXT_INPUT = "check_text_input"
CHECK_FILE_BLOCK = "check_file"
CHECK_FILE_INPUT = "check_file_input"
GUARD_OPEN_MESSAGE = "guard_open_message"

# --- the lecturer's request (事例作成の依頼) ---------------------------------------------
REQUEST_VIEW = "request_view"
REQUEST_FIELD_BLOCKS = {  # field name -> (block_id, action_id) of the request modal
    name: (f"request_{name}", f"request_{name}_input") for name in ("theme", "title", "lecturer", "due", "note")
}
REQUEST_ACCEPT = "request_accept"
REQUEST_DECLINE = "request_decline"
REQUEST_DECLINE_VIEW = "request_decline_view"
REQUEST_REASON_BLOCK = "request_reason"
REQUEST_REASON_INPUT = "request_reason_input"
REQUEST_APPROVE = "request_approve"
REQUEST_RETURN = "request_return"
REQUEST_RETURN_VIEW = "request_return_view"
REQUEST_RETURN_BLOCK = "request_return_note"
REQUEST_RETURN_INPUT = "request_return_note_input"
# date polls (日程調整)
POLL_VIEW = "poll_view"
POLL_TITLE_BLOCK = "poll_title"
POLL_TITLE_INPUT = "poll_title_input"
POLL_GROUP_BLOCK = "poll_group"
POLL_GROUP_INPUT = "poll_group_input"
POLL_SLOT_BLOCK = "poll_slot_{n}"  # n = 1 … 10, one candidate slot each
POLL_SLOT_INPUT = "poll_slot_input"
POLL_NOTE_BLOCK = "poll_note"
POLL_NOTE_INPUT = "poll_note_input"
POLL_ANSWER = "poll_answer"  # the ○ △ × select of one slot in the table
POLL_ANSWER_BLOCK = "poll_answer_{slot}"
POLL_DM_ANSWER = "poll_dm_answer"  # the same select in a member's DM (in a block POLL_ANSWER_BLOCK)
POLL_CLOSE = "poll_close"  # the organiser's 決定 button: opens the close form
POLL_CLOSE_VIEW = "poll_close_view"
POLL_CLOSE_SLOT_BLOCK = "poll_close_slot"
POLL_CLOSE_SLOT_INPUT = "poll_close_slot_input"
POLL_CLOSE_OUTCOME_BLOCK = "poll_close_outcome"
POLL_CLOSE_OUTCOME_INPUT = "poll_close_outcome_input"
