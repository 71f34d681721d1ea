"""Every action_id, callback_id and block_id the app uses, in one place.

Builders, handler registration and tests import these names; nothing spells the
strings twice. Sections are grouped by feature.
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
SURVEY_TEXT_VIEW = "survey_text_view"
SURVEY_TEXT_BLOCK = "survey_text"
SURVEY_TEXT_INPUT = "survey_text_input"
SURVEY_ANSWER_BLOCK = "survey_answer"
SURVEY_NAV_BLOCK = "survey_nav"
