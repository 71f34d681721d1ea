"""Text people type enters without control characters (issue 14, item 11): commands, forms,
messages, roster and plan files all go through bot.core.text.clean_input."""

from bot import ids
from bot.local import seed
from bot.payloads import clean_inputs, payload_problem
from bot.sessions import plan as plans
from bot.people import roster
from tests.bot.test_roster import csv_bytes, roster_rows
from tests.handlers.conftest import JST

NEWCOMER = "UNEW0001"
HOSTILE = "\x1b[31m\x00\ufeff\u200b\u202e\x07"  # ESC, NUL, BOM, zero-width space, RTL override, BEL


async def test_a_command_stores_names_and_titles_without_control_characters(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    await ws.driver.command(NEWCOMER, f"profile set name=新人{HOSTILE}花子 prefecture=沖縄県 affiliation=public")
    await ws.driver.command(seed.ADMIN, f'admin case new title="受診{HOSTILE}同行" theme=医療・福祉')
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(NEWCOMER)).name == "新人[31m花子"
        assert (await uow.cases.by_code("C1")).title == "受診[31m同行"


async def test_a_form_field_is_one_line_unless_it_is_multiline(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    await ws.driver.command(NEWCOMER, "profile")
    view = ws.fake.current_view(NEWCOMER)
    await ws.driver.submit_view(NEWCOMER, view, {
        ids.PROFILE_NAME_BLOCK: {ids.PROFILE_NAME_INPUT: f"新人\r\n{HOSTILE}花子"},
        ids.PROFILE_PREFECTURE_BLOCK: {ids.PROFILE_PREFECTURE_INPUT: "沖縄県"},
        ids.PROFILE_AFFILIATION_BLOCK: {ids.PROFILE_AFFILIATION_INPUT: "private"},
        ids.PROFILE_LANG_BLOCK: {ids.PROFILE_LANG_INPUT: "ja"},
        ids.PROFILE_NUDGES_BLOCK: {ids.PROFILE_NUDGES_INPUT: "on"},
    })
    async with ws.deps.uow() as uow:
        assert (await uow.coordinators.get(NEWCOMER)).name == "新人 [31m花子"


def test_free_text_keeps_its_lines_and_loses_its_control_characters():
    view = {"blocks": [{"type": "input", "block_id": "answer", "element": {"action_id": "text", "multiline": True}},
                       {"type": "input", "block_id": "title", "element": {"action_id": "text"}}],
            "state": {"values": {"answer": {"text": {"type": "plain_text_input", "value": f"一行目\r\n{HOSTILE}二行目"}},
                                 "title": {"text": {"type": "plain_text_input", "value": f"題\n{HOSTILE}名"}}}}}
    body = {"type": "view_submission", "view": view}
    clean_inputs(body)
    assert view["state"]["values"]["answer"]["text"]["value"] == "一行目\n[31m二行目"
    assert view["state"]["values"]["title"]["text"]["value"] == "題 [31m名"
    message = {"type": "event_callback", "event": {"type": "message", "text": f"回答です\n{HOSTILE}以上"}}
    clean_inputs(message)
    assert message["event"]["text"] == "回答です\n[31m以上"
    # Shapes that are not what Slack sends are refused (400) before anything is cleaned, not an error.
    for odd in ({"view": {"state": {"values": ["x"]}}}, {"view": "x"}, {"event": None}, {"command": "/jirei", "text": 1}):
        assert payload_problem(odd) is not None


def test_roster_and_plan_files_enter_clean():
    rows = roster_rows(1)
    rows[0][1] = f"認証者{HOSTILE}一郎"
    assert roster.parse_roster(csv_bytes(rows), "roster.csv")[0].name == "認証者[31m一郎"
    yaml = 'cases:\n  - key: case1\n    title: "受診\\e[31m\\0\\u200b同行"\n    theme: medical_welfare\n'
    plan = plans.parse_plan(yaml.encode(), "plan.yaml", JST)
    assert [case.title for case in plan.cases] == ["受診[31m同行"]
