"""Every command and every button against every role, through the real AsyncApp.

Roles: admin; bureau staff of Tokyo on a Tokyo session and on an Osaka session; the lecturer of
case C1; a coordinator with a profile and the pledge; a stranger without a profile.

Expected outcomes: "ok" (answered, not refused), "refused" (an authorization refusal), or None
where the design leaves the rule to the feature (then only a clean answer is required). Every
command class has a row here and a handler a feature in bot/features.py declares, or a test fails.
Whoever acts is always the payload's user: forged values naming someone else change nothing.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot import ids
from bot.core import grammar
from bot.local import seed
from bot.core.clock import ManualClock
from bot.core.i18n import t
from bot.features import WIRING
from bot.local.workspace import LocalWorkspace
from bot.materials import service as materials
from bot.people.results import Actor
from storage.crypto import Cipher, generate_key
from tests.handlers.conftest import announced

JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
COORD = seed.COORDINATORS[0][0]
OTHER = seed.COORDINATORS[1][0]
STRANGER = "USTRANGER9"
SESSION_TIMES = ("start=2027-05-15T14:00 minutes=120 capacity=30 min=1 deadline=2027-05-01T17:00 "
                 "release=2027-05-07T09:00")

# role -> (user, the session it acts on, that session's bureau)
ROLES = {
    "admin": (seed.ADMIN, "S1", "tokyo"),
    "staff_own_bureau": (seed.STAFF_TOKYO, "S1", "tokyo"),
    "staff_other_bureau": (seed.STAFF_TOKYO, "S2", "osaka"),
    "lecturer": (seed.LECTURER, "S1", "tokyo"),
    "coordinator": (COORD, "S1", "tokyo"),
    "stranger": (STRANGER, "S1", "tokyo"),
}
ORDER = tuple(ROLES)


def row(*outcomes):
    return dict(zip(ORDER, outcomes))


EVERYONE = row("ok", "ok", "ok", "ok", "ok", "ok")
ADMIN_ONLY = row("ok", "refused", "refused", "refused", "refused", "refused")
OWN_BUREAU = row("ok", "ok", "refused", "refused", "refused", "refused")
STAFF_UNSPECIFIED = row("ok", None, None, "refused", "refused", "refused")
STAFF = row("ok", "ok", "ok", "refused", "refused", "refused")

# Every grammar class appears here (a test checks it); {s} is the role's session, {b} its bureau.
COMMANDS = [
    (grammar.Help, "help", EVERYONE),
    (grammar.ProfileOpen, "profile", EVERYONE),
    (grammar.ProfileSet, "profile set nudges=on", EVERYONE),
    (grammar.PledgeShow, "pledge", EVERYONE),
    (grammar.PledgeAccept, "pledge accept", EVERYONE),
    (grammar.SessionsList, "sessions", EVERYONE),
    (grammar.Join, "join {s}", EVERYONE),
    (grammar.Leave, "leave {s}", EVERYONE),
    (grammar.Mine, "my", EVERYONE),
    (grammar.Groups, "groups", EVERYONE),
    (grammar.Propose, "propose", EVERYONE),
    (grammar.PollOpen, "poll", EVERYONE),
    (grammar.ForgetMe, "forget-me", EVERYONE),
    (grammar.Check, "check", EVERYONE),
    # Outside a study group's channel everyone gets the same answer (use it in the channel).
    (grammar.GuardSet, "guard off", EVERYONE),
    # The library holds what is published for every coordinator; opening a case needs the pledge.
    (grammar.CasesSearch, "cases 事例 theme=教育 year=令和9", EVERYONE),
    (grammar.AdminHelp, "admin", STAFF),
    (grammar.CaseNew, 'admin case new title="新しい事例" theme=教育', ADMIN_ONLY),
    (grammar.SessionNew, "admin session new case=C1 bureau={b} " + SESSION_TIMES, OWN_BUREAU),
    (grammar.Announce, "admin announce {s}", OWN_BUREAU),
    (grammar.Roster, "admin roster {s}", OWN_BUREAU),
    (grammar.Attend, f"admin attend {{s}} {OTHER}", OWN_BUREAU),
    (grammar.SessionNewForm, "admin session new", STAFF),
    # Lecturers may add material to their own case (C1 is the lecturer's).
    (grammar.MaterialAdd, "admin material add C1 url=https://example.org/case.pdf",
     row("ok", "refused", "refused", "ok", "refused", "refused")),
    (grammar.SurveySend, "admin survey send {s}", OWN_BUREAU),
    (grammar.SurveyPlanning, "admin survey planning", STAFF_UNSPECIFIED),
    (grammar.SurveySummary, "admin survey summary", ADMIN_ONLY),
    (grammar.Report, "admin report R1", STAFF_UNSPECIFIED),
    (grammar.YearReport, "admin report year", STAFF_UNSPECIFIED),
    (grammar.Publish, "admin publish C1", ADMIN_ONLY),
    (grammar.NudgeNow, "admin nudge", STAFF_UNSPECIFIED),
    (grammar.RoleGrantCmd, f"admin role {OTHER} lecturer", ADMIN_ONLY),
    (grammar.CaseEdit, 'admin case edit C2 title="別の事例（改）"', ADMIN_ONLY),
    (grammar.SessionMessage, "admin message {s} 当日の持ち物のお知らせです", OWN_BUREAU),
    (grammar.SurveyClose, "admin survey close R1", ADMIN_ONLY),
    # Only the secretariat asks a lecturer for a case, or withdraws the request.
    (grammar.RequestOpen, "admin request", ADMIN_ONLY),
    (grammar.RequestWithdraw, "admin request withdraw Q1", ADMIN_ONLY),
    # Last: they change the session the rows above act on.
    (grammar.SessionEdit, "admin session edit {s} place=会議室", OWN_BUREAU),
    (grammar.SessionCancel, "admin session cancel {s}", OWN_BUREAU),
]

# (action_id, value) -> outcomes; the forget-me button has its own test below.
ACTIONS = [
    (ids.SESSION_JOIN, "{s}", EVERYONE),
    (ids.SESSION_LEAVE, "{s}", EVERYONE),
    (ids.SESSION_CHECKIN, "{s}|" + OTHER, OWN_BUREAU),
    (ids.SESSION_CHECKIN_UNDO, "{s}|" + OTHER, OWN_BUREAU),
    (ids.OPEN_PROFILE, None, EVERYONE),
    (ids.ACCEPT_PLEDGE, None, EVERYONE),
    (ids.MATERIAL_READ, "{s}", EVERYONE),
    (ids.MATERIAL_CONFIRM, "M1", row("ok", "refused", "refused", "ok", "refused", "refused")),
    (ids.MATERIAL_UPLOAD_OPEN, None, EVERYONE),
    (ids.MATERIAL_ACCEPT_PROPOSAL, "M1", row("ok", "refused", "refused", "ok", "refused", "refused")),
    (ids.MATERIAL_LINK_CHECK_OPEN, "M1", row("ok", "refused", "refused", "ok", "refused", "refused")),
    (ids.MATERIAL_WITHDRAW, "M1", row("ok", "refused", "refused", "ok", "refused", "refused")),
    (ids.SESSION_JOIN_ELSEWHERE, "{s}", EVERYONE),
    (ids.PUBLISH_EARLY, "C1", ADMIN_ONLY),
    # C1 is not in the library, S1 is no study group's: a clean answer for everyone.
    (ids.LIBRARY_OPEN, "C1", EVERYONE),
    (ids.LIBRARY_SHARE, "{s}", EVERYONE),
    (ids.LIBRARY_SHARE_ACCEPT, "{s}", EVERYONE),
]


def refusals() -> list[str]:
    """The refusal messages, each cut to its longest fixed part (codes vary)."""
    fragments = []
    for key in ("auth.refused", "auth.admin_only", "auth.other_bureau", "materials.error.not_allowed"):
        template = t(key, "ja", code="\0")
        fragments.append(max(template.split("\0"), key=len))
    return fragments


@pytest.fixture
async def ws(db_url):
    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()),
                                   clock=ManualClock(START)) as workspace:
        workspace.fake.add_user(STRANGER, "通りすがり")
        await workspace.driver.command(seed.ADMIN, f'admin case new title="講師の事例" theme=医療・福祉 lecturer={seed.LECTURER}')
        await workspace.driver.command(seed.ADMIN, 'admin case new title="別の事例" theme=教育')
        for bureau in ("tokyo", "osaka"):
            await workspace.driver.command(seed.ADMIN, f"admin session new case=C1 bureau={bureau} {SESSION_TIMES}")
        checked = await materials.check_file("電話 03-1234-5678 に連絡。".encode(), "case.txt")
        async with workspace.deps.uow() as uow:
            await materials.add_material_file(uow, workspace.clock.now(), Actor(seed.ADMIN, is_admin=True), "C1",
                                              checked)
        assert (await count_sessions(workspace)) == 2
        await announced(workspace)
        yield workspace


async def count_sessions(ws) -> int:
    async with ws.deps.uow() as uow:
        return len(await uow.sessions.all())


def answer_text(reply) -> str:
    parts = [str(reply.answer)]
    parts += [str(call.params) for call in reply.calls]
    return "\n".join(parts)


def classify(reply) -> str:
    text = answer_text(reply)
    assert reply.status == 200, reply.status
    assert t("errors.generic", "ja") not in text, "an unhandled error"
    return "refused" if any(refusal in text for refusal in refusals()) else "ok"


def button_message(ws, user: str, action_id: str, value: str | None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "text": "x"}, "action_id": action_id}
    if value is not None:
        element["value"] = value
    return {"channel": ws.fake.dm_channel_id(user), "ts": "1700000000.000100", "text": "x",
            "blocks": [{"type": "actions", "block_id": "authz", "elements": [element]}]}


COMMAND_CLASSES = {cls for cls in vars(grammar).values()
                   if isinstance(cls, type) and issubclass(cls, grammar.Command) and cls is not grammar.Command}


def test_every_command_class_is_in_the_table():
    assert COMMAND_CLASSES == {kind for kind, _, _ in COMMANDS}


def test_every_command_class_has_a_handler():
    assert set(WIRING.commands) == COMMAND_CLASSES


@pytest.mark.parametrize("role", ORDER)
async def test_commands_by_role(ws, role):
    user, session, bureau = ROLES[role]
    mismatches = []
    for kind, template, expected in COMMANDS:
        text = template.format(s=session, b=bureau)
        outcome = classify(await ws.driver.command(user, text))
        if expected[role] is not None and outcome != expected[role]:
            mismatches.append((text, expected[role], outcome))
    assert mismatches == [], f"{role}: (command, expected, got)"
    assert ws.fake.violations == []


@pytest.mark.parametrize("role", ORDER)
async def test_buttons_by_role(ws, role):
    user, session, _ = ROLES[role]
    mismatches = []
    for action_id, template, expected in ACTIONS:
        value = template.format(s=session) if template else None
        reply = await ws.driver.click(user, action_id, message=button_message(ws, user, action_id, value))
        outcome = classify(reply)
        if expected[role] is not None and outcome != expected[role]:
            mismatches.append((action_id, value, expected[role], outcome))
    assert mismatches == [], role
    assert ws.fake.violations == []


async def test_refused_admin_commands_change_nothing_and_are_audited(ws):
    async with ws.deps.uow() as uow:
        audit_before = len(await uow.audit.entries())
    for user in (COORD, seed.LECTURER, STRANGER):
        await ws.driver.command(user, f"admin session new case=C1 bureau=tokyo {SESSION_TIMES}")
        await ws.driver.command(user, f"admin role {user} admin")
    assert await count_sessions(ws) == 2
    async with ws.deps.uow() as uow:
        entries = (await uow.audit.entries())[audit_before:]
        for user in (COORD, seed.LECTURER, STRANGER):
            assert (await uow.roles.of(user)) == [] or user == seed.LECTURER
    assert {e.outcome for e in entries if e.action.startswith("command.")} == {"refused"}
    assert len([e for e in entries if e.outcome == "refused"]) == 6


async def test_lecturers_and_coordinators_see_only_their_own_cases_in_the_upload_modal(ws):
    seen = {}
    for user in (seed.ADMIN, seed.LECTURER, COORD):
        opener = button_message(ws, user, ids.MATERIAL_UPLOAD_OPEN, None)
        await ws.driver.click(user, ids.MATERIAL_UPLOAD_OPEN, message=opener)
        view = ws.fake.current_view(user)
        select = next(b for b in view["blocks"] if b.get("block_id") == ids.MATERIAL_CASE_BLOCK)["element"]
        seen[user] = [o["value"] for o in select["options"]]
    assert seen == {seed.ADMIN: ["C1", "C2"], seed.LECTURER: ["C1"], COORD: ["none"]}


async def test_a_lecturer_cannot_confirm_another_cases_material(ws):
    checked = await materials.check_file("電話 03-1234-5678".encode(), "other.txt")
    async with ws.deps.uow() as uow:
        await materials.add_material_file(uow, ws.clock.now(), Actor(seed.ADMIN, is_admin=True), "C2", checked)
    reply = await ws.driver.click(seed.LECTURER, ids.MATERIAL_CONFIRM,
                                  message=button_message(ws, seed.LECTURER, ids.MATERIAL_CONFIRM, "M2"))
    assert classify(reply) == "refused"
    async with ws.deps.uow() as uow:
        assert (await uow.materials.get(2)).confirmed_at is None


async def test_identity_never_comes_from_a_button_value(ws):
    # The check-in button names the person checked in; pressing it yourself gives you no power.
    reply = await ws.driver.click(COORD, ids.SESSION_CHECKIN, message=button_message(ws, COORD, ids.SESSION_CHECKIN,
                                                                                    f"S1|{seed.ADMIN}"))
    assert classify(reply) == "refused"
    # The forget-me button's value is ignored: the presser is forgotten, the named person is not.
    await ws.driver.click(COORD, ids.FORGET_ME_CONFIRM, message=button_message(ws, COORD, ids.FORGET_ME_CONFIRM, OTHER))
    async with ws.deps.uow() as uow:
        assert await uow.coordinators.get(COORD) is None
        assert (await uow.coordinators.get(OTHER)).name == seed.COORDINATORS[1][1]


async def test_a_forged_user_in_the_value_of_a_join_button_registers_the_presser(ws):
    await ws.driver.click(COORD, ids.SESSION_JOIN, message=button_message(ws, COORD, ids.SESSION_JOIN, f"S1|{OTHER}"))
    await ws.driver.click(COORD, ids.SESSION_JOIN, message=button_message(ws, COORD, ids.SESSION_JOIN, "S1"))
    async with ws.deps.uow() as uow:
        assert [r.user_id for r in await uow.registrations.for_session(1)] == [COORD]
