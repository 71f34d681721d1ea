"""No bureau, role, format, theme or affiliation code reaches a person: every message builder that
is handed one of those codes is rendered with every code, in Japanese and English, and the code
itself must not come out (issue 16: "役割「地方局担当者」nagoya", "📍 online・オンライン").

A code counts as leaked when a rendering made with it holds the code (as a whole word, outside
`command examples` and links) more often than a rendering made with another code of the same kind:
fixed wording that happens to contain a word such as "online" is the same in both.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import pytest

from bot.core.i18n import catalog
from bot.people import blocks as people_blocks
from bot.sessions import blocks as session_blocks
from bot.study_groups import blocks as group_blocks
from bot.review.blocks import build_home_tab, build_year_review
from bot.sessions.reminder_blocks import ReminderView, build_reminder
from bot.core.calendar import session_ics
from bot.core.grammar import ROLES
from bot.review.results import (CoordinatorHome, HomeData, SessionRow, StaffHome, StudyGroupTally, Tally,
                                YearReview)
from bot.people.results import Actor
from bot.sessions.results import AttendResult, Roster, RosterLine, SessionSummary
from config.reference import bureaus, themes
from storage.models import Case, CaseSession, Coordinator

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 5, 1, 9, 0, tzinfo=JST)
LANGS = ("ja", "en")
BUREAUS = tuple(b.code for b in bureaus()) + ("online",)
THEMES = tuple(t.code for t in themes())
FORMATS = ("hybrid", "online", "in_person")
AFFILIATIONS = ("public", "private")
KINDS = ("official", "exchange")


def session(bureau: str = "tokyo", fmt: str = "hybrid", theme: str = "education", kind: str = "official",
            status: str = "confirmed") -> CaseSession:
    start = NOW + timedelta(days=14)
    return CaseSession(id=3, kind=kind, case_id=1 if kind == "official" else None, theme=theme, bureau=bureau,
                       starts_at=start, minutes=120, capacity=30, min_participants=5,
                       deadline_at=start - timedelta(days=7), release_at=start - timedelta(days=3), format=fmt,
                       place="会議室A", facilitator_user_id="UFAC", online_url="https://meet.example/x",
                       status=status, lottery=False, created_by="UADMIN", created_at=NOW)


def case(theme: str = "education") -> Case:
    return Case(id=1, title="受診同行の事例", theme=theme, lecturer_user_id="ULECT", created_by="UADMIN",
                created_at=NOW)


def person(bureau: str = "tokyo", theme: str = "education", affiliation: str = "public") -> Coordinator:
    prefecture = next(b.prefectures[0] for b in bureaus() if b.code == bureau) if bureau != "online" else None
    return Coordinator(slack_user_id="UC1", name="山田 花子", prefecture=prefecture, bureau=bureau,
                       affiliation=affiliation, themes=[theme], lang="ja", nudges_enabled=True,
                       pledge_accepted_at=None, created_at=NOW, updated_at=NOW)


def session_messages(item: CaseSession, lang: str) -> list:
    """Every message about one session, as its participants, facilitator, lecturer and staff see it."""
    the_case = case(item.theme) if item.case_id else None
    summary = SessionSummary(item, the_case, 12, 2, "waitlisted", my_position=2)
    roster = Roster(item, the_case, [RosterLine("UC1", "山田", "public", "confirmed", 1, True, True),
                                     RosterLine("UC2", None, "private", "waitlisted", None, False, False)])
    substitute = session(item.bureau, "online", item.theme, "exchange", "open")
    return [
        session_blocks.build_session_card(summary, lang, JST),
        session_blocks.build_invitation(item, the_case, lang, JST),
        session_blocks.build_announcement(item, the_case, lang, JST),
        session_blocks.build_confirmed(item, the_case, lang, JST, 1, ["UC1", "UC2"]),
        session_blocks.build_promoted(item, the_case, lang, JST),
        session_blocks.build_cancelled(item, the_case, substitute, lang, JST),
        session_blocks.build_facilitator_groups(item, the_case, {1: ["山田", "佐藤"]}, lang, JST),
        session_blocks.build_roster(roster, lang, JST),
        session_blocks.attended_text(AttendResult(item, ["UC1"], ["UC2"]), lang),
        group_blocks.self_run_card(item, lang, JST),
        session_ics(item, the_case.title if the_case else None, lang, JST).decode(),
        *(build_reminder(ReminderView(item.code, "受診同行の事例", item.starts_at, item.minutes, item.format,
                                      item.place, item.online_url, role, 24 * 60), lang, JST)
          for role in ("participant", "facilitator", "lecturer")),
    ]


def person_messages(coordinator: Coordinator, actor: Actor, lang: str) -> list:
    rows = [SessionRow(session(coordinator.bureau or "tokyo"), case(), 12, 1)]
    staff = StaffHome(tuple(sorted(actor.staff_bureaus)), rows) if actor.staff_bureaus else None
    home = HomeData(actor, coordinator, CoordinatorHome([], [], [], []), staff)
    return [
        people_blocks.build_profile_saved(coordinator, lang),
        people_blocks.build_home(coordinator, actor, lang, None),
        build_home_tab(home, lang, JST),
        group_blocks.build_nudge(1, 4, coordinator.bureau, coordinator.themes, lang),
        group_blocks.build_kit("G1", coordinator.bureau, coordinator.themes, ["UC1", "UC2", "UC3"], lang),
    ]


# --- reading what a person sees ---------------------------------------------------------------------

_NOT_SHOWN = {"action_id", "block_id", "value", "url", "callback_id", "private_metadata", "type", "style",
              "image_url", "external_id", "initial_value", "dispatch_action_config"}


def shown_text(rendered) -> str:
    """The words of a message or view, without ids, values and links."""
    if isinstance(rendered, str):
        return rendered
    if isinstance(rendered, tuple):
        return " ".join(shown_text(part) for part in rendered)
    if isinstance(rendered, list):
        return " ".join(shown_text(part) for part in rendered)
    if isinstance(rendered, dict):
        return " ".join(shown_text(v) for k, v in rendered.items() if k not in _NOT_SHOWN)
    return ""


def occurrences(code: str, text: str) -> int:
    text = re.sub(r"`[^`]*`", " ", text)  # command examples show the syntax, codes included
    text = re.sub(r"<[^>]*>|https?://\S+", " ", text)  # mentions and links
    return len(re.findall(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", text))


def assert_no_code_leaks(codes: tuple[str, ...], render: Callable[[str], object]) -> None:
    shown = {code: shown_text(render(code)) for code in codes}
    for code in codes:
        baseline = min(occurrences(code, shown[other]) for other in codes if other != code)
        assert occurrences(code, shown[code]) <= baseline, (code, shown[code][:3000])


# --- the proofs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_session_messages_name_bureaus_not_codes(lang, kind):
    assert_no_code_leaks(BUREAUS, lambda code: session_messages(session(bureau=code, kind=kind), lang))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("bureau", ("tokyo", "online"))
def test_session_messages_name_formats_not_codes(lang, bureau):
    assert_no_code_leaks(FORMATS, lambda code: session_messages(session(bureau=bureau, fmt=code), lang))


@pytest.mark.parametrize("lang", LANGS)
def test_session_messages_name_themes_not_codes(lang):
    assert_no_code_leaks(THEMES, lambda code: session_messages(session(theme=code), lang))


@pytest.mark.parametrize("lang", LANGS)
def test_a_persons_messages_name_bureau_theme_and_affiliation_not_codes(lang):
    coordinator = Actor(user_id="UC1")
    assert_no_code_leaks(BUREAUS, lambda code: person_messages(person(bureau=code), coordinator, lang))
    assert_no_code_leaks(THEMES, lambda code: person_messages(person(theme=code), coordinator, lang))
    assert_no_code_leaks(AFFILIATIONS, lambda code: person_messages(person(affiliation=code), coordinator, lang))


@pytest.mark.parametrize("lang", LANGS)
def test_home_tabs_name_roles_and_staff_bureaus_not_codes(lang):
    def actor(role: str, bureau: str = "tokyo") -> Actor:
        return Actor(user_id="UC1", is_admin=role == "admin", is_lecturer=role == "lecturer",
                     staff_bureaus=frozenset({bureau}) if role == "bureau_staff" else frozenset())

    assert_no_code_leaks(ROLES, lambda code: person_messages(person(), actor(code), lang))
    staff_bureaus = tuple(b.code for b in bureaus())
    assert_no_code_leaks(staff_bureaus,
                         lambda code: person_messages(person(bureau=code), actor("bureau_staff", code), lang))


@pytest.mark.parametrize("lang", LANGS)
def test_the_yearly_review_names_bureaus_and_themes_not_codes(lang):
    def review(bureau: str = "tokyo", theme: str = "education") -> list:
        tally = dict(planned=2, held=1, cancelled=1, participants=12, exchanges=1, exchanges_held=1,
                     exchange_participants=4)
        return build_year_review(YearReview(
            fiscal_year=2027, starts=NOW, ends=NOW + timedelta(days=365),
            by_bureau=[Tally(bureau, **tally)], by_theme=[Tally(theme, **tally)], total=Tally("total", **tally),
            surveys=[], study_groups=[StudyGroupTally(bureau, groups=1, active=1, members=3)]), lang, JST)

    assert_no_code_leaks(BUREAUS, lambda code: review(bureau=code))
    assert_no_code_leaks(THEMES, lambda code: review(theme=code))


def test_the_comparison_catches_a_leak():
    """The check itself: a message that prints the code is caught."""
    with pytest.raises(AssertionError):
        assert_no_code_leaks(BUREAUS, lambda code: f"📍 {code}・オンライン")
    assert json.dumps(occurrences("online", "`bureau=online` <https://x/online|online>")) == "0"


# --- every payload the app sent: dispatch tests and the demo ----------------------------------------------
#
# The builders above are rendered with every code; the scan below reads what was really sent to a fake
# Slack (Web API calls, response_url posts, acks) by every dispatch test (tests/handlers/conftest.py) and by
# the demo year in both languages (tests/bot/test_demo_escaping.py).

# Parameters of a Web API call, a response_url body or an ack that people read.
_SHOWN_PARAMS = ("text", "blocks", "view", "attachments", "initial_comment", "title", "purpose", "topic", "errors")


def _delivery_kinds() -> set[str]:
    from bot.features import WIRING

    return set(WIRING.renderers)


_SNAKE = re.compile(r"(?<![A-Za-z0-9_.\-/])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_\-/])")
_KEYISH = re.compile(r"(?<![A-Za-z0-9_.\-/@])[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+(?![A-Za-z0-9_\-/])")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Codes that are also English words: a leak only in a Japanese sentence.
_CODE_WORDS = (set(FORMATS) | set(AFFILIATIONS) | set(KINDS) | set(ROLES) | {t.code for t in themes()}
               | {"open", "confirmed", "cancelled", "held", "closed", "waitlisted", "applied", "attended",
                  "material", "commentary", "self_run", "forming", "active"})


def _as_word(code: str, text: str) -> bool:
    """`code` as a word of its own, not part of a file name, a path or an address (case-C1-material.pdf)."""
    return re.search(rf"(?<![A-Za-z0-9_.\-/]){re.escape(code)}(?![A-Za-z0-9_\-/]|\.[A-Za-z0-9])", text) is not None


def _is_japanese(text: str) -> bool:
    """A Japanese sentence, not an English one quoting a Japanese title or name: Japanese characters,
    and few English words or fewer letters than Japanese characters."""
    japanese = len(_JAPANESE.findall(text))
    return japanese > 0 and (len(re.findall(r"[A-Za-z]{2,}", text)) <= 4
                             or japanese > len(re.findall(r"[A-Za-z]", text)))


def _words(text: str) -> str:
    text = re.sub(r"`[^`]*`", " ", text)  # command examples show the syntax, codes included
    return re.sub(r"<[^>]*>|https?://\S+", " ", text)  # mentions, channels and links


def shown_strings(method: str, payload: dict) -> list[str]:
    """Every string of one sent payload that a person reads (no ids, values, urls or metadata)."""
    out: list[str] = []

    def walk(node, key=None):
        if isinstance(node, str):
            if key in ("blocks", "view", "attachments") and node[:1] in "[{":
                try:
                    return walk(json.loads(node))
                except ValueError:
                    pass
            out.append(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k not in _NOT_SHOWN:
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk({k: v for k, v in (payload or {}).items() if k in _SHOWN_PARAMS})
    return out


def leaks_in(method: str, payload: dict) -> list[str]:
    """What of a sent payload is an internal code, a catalog key or an id rather than words: any snake_case
    token (codes, block and action ids, outbox kinds), dotted catalog keys, a bureau's code (tokyo) in any language, and in a Japanese sentence
    a code that is also an English word (online, hybrid, public, coordinator…)."""
    keys = set(catalog("ja")) | set(catalog("en"))
    bureau_codes = {b.code for b in bureaus()}
    found = []
    for text in shown_strings(method, payload):
        words = _words(text)
        for token in _SNAKE.findall(words):
            found.append(f"{method}: code {token!r} in {text[:160]!r}")
        for token in _KEYISH.findall(words):
            if token in keys or any(key.startswith(token + ".") for key in keys):
                found.append(f"{method}: catalog key {token!r} in {text[:160]!r}")
        for code in bureau_codes:
            if _as_word(code, words):
                found.append(f"{method}: bureau code {code!r} in {text[:160]!r}")
        if _is_japanese(words):
            for code in sorted(_CODE_WORDS - bureau_codes):
                if "_" not in code and _as_word(code, words):
                    found.append(f"{method}: code {code!r} in a Japanese sentence {text[:160]!r}")
    return found


def leaks_in_sent(sent: list[tuple[str, dict]]) -> list[str]:
    return [leak for method, payload in sent for leak in leaks_in(method, payload)]


def test_the_scan_finds_codes_keys_and_ids_and_passes_words():
    bad = [
        ("chat.postMessage", {"text": "📍 tokyo・オンライン"}),
        ("chat.postMessage", {"blocks": json.dumps([{"type": "section", "text": {"type": "mrkdwn",
                                                                                "text": "テーマ: medical_welfare"}}])}),
        ("ack", {"response_action": "errors", "errors": {"b": "session_new_capacity: 数字で入力してください"}}),
        ("response_url", {"text": "sessions.error.not_found"}),
        ("views.publish", {"view": {"type": "home", "blocks": [{"type": "context", "elements": [
            {"type": "mrkdwn", "text": "形式: online"}]}]}}),
    ]
    assert [len(leaks_in(method, payload)) for method, payload in bad] == [1, 1, 1, 1, 1]
    good = [
        ("chat.postMessage", {"text": "`/jirei admin session new bureau=tokyo format=in_person`",
                              "channel": "C1", "blocks": [{"type": "actions", "block_id": "session_join",
                                                           "elements": [{"action_id": "session_join",
                                                                         "value": "S1"}]}]}),
        ("chat.postMessage", {"text": "The session is online, at the Tokyo bureau. <https://x.example/a_b|link>"}),
        ("chat.postMessage", {"text": "資料: case-C1-material.pdf、Slack の DM でお送りします"}),
    ]
    assert [leaks_in(method, payload) for method, payload in good] == [[], [], []]


def test_every_kind_of_message_has_a_name_for_the_secretariat():
    """The Home tab lists undelivered messages by what they are, not by their outbox kind."""
    from bot.review.blocks import delivery_kind_name

    for lang in LANGS:
        for kind in _delivery_kinds():
            name = delivery_kind_name(kind, lang)
            assert name != kind and not _SNAKE.search(name), (lang, kind)
