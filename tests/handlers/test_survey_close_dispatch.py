"""Issue 22 through the real AsyncApp: when a survey run closes, at its deadline or by an admin's
`admin survey close`, the secretariat gets a DM (through the outbox) with its headline figures."""

from __future__ import annotations

from datetime import timedelta

from bot.local import seed
from bot.surveys.definitions import load_survey
from tests.handlers.conftest import texts
from tests.handlers.test_survey_dialog import _held_session_run, answer_survey, send_planning

POST = load_survey("post_session")


def answers(satisfaction: str) -> dict:
    chosen = {q.id: q.options[0].id for q in POST.questions if q.kind in ("single", "scale5")}
    return {**chosen, "themes": ["education"], "satisfaction": satisfaction, "usefulness": "4", "comments": None}


def closed_notices(ws, user: str, code: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if f"アンケート {code} を締め切りました" in texts([m])
            or f"Survey {code} has closed" in texts([m])]


async def test_the_secretariat_hears_the_headline_when_a_run_closes_at_its_deadline(ws):
    tokyo, code = await _held_session_run(ws)
    for user, point in zip(tokyo[:5], ("5", "5", "4", "4", "3")):
        await answer_survey(ws, user, code, answers(point))
    assert closed_notices(ws, seed.ADMIN, code) == []
    await ws.advance(timedelta(days=8))  # past the seven-day deadline: the job closes it
    notices = closed_notices(ws, seed.ADMIN, code)
    assert len(notices) == 1
    shown = texts(notices)
    assert "S1・東京" in shown
    assert "回答者 5人（対象 6人、回答率 83%）" in shown
    assert "満足度 平均 4.2" in shown and "業務に役立つか 平均 4.0" in shown
    assert "さんが締め切りました" not in shown  # the deadline did it, not a person
    # Once: later ticks send nothing more.
    await ws.advance(timedelta(days=1))
    assert len(closed_notices(ws, seed.ADMIN, code)) == 1
    # Not to the bureau's staff or the respondents.
    assert closed_notices(ws, seed.STAFF_TOKYO, code) == [] and closed_notices(ws, tokyo[0], code) == []


async def test_an_admin_closes_a_run_early_and_every_admin_hears_it_in_their_language(ws):
    tokyo, code = await _held_session_run(ws)
    other_admin = tokyo[5]
    await ws.driver.command(seed.ADMIN, f"admin role <@{other_admin}> admin")
    await ws.driver.command(other_admin, "profile set lang=en")
    for user in tokyo[:2]:
        await answer_survey(ws, user, code, answers("2"))
    await ws.driver.command(seed.STAFF_TOKYO, "admin survey close S1")
    assert "管理者" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.driver.command(seed.ADMIN, "admin survey close S1")
    assert f"アンケート {code} の回答受付を終了しました（回答者 2人／対象 6人）" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    await ws.run_due()
    mine = texts(closed_notices(ws, seed.ADMIN, code))
    assert f"<@{seed.ADMIN}> さんが締め切りました" in mine
    # Two answers: no means, and where they count instead.
    assert "平均は表示しません" in mine
    assert "2027年度の全国の合計に含めて集計" in mine  # Tokyo has no five this year
    english = texts(closed_notices(ws, other_admin, code))
    assert "Survey R1 has closed" in english and "2 respondents (of 6 invited, response rate 33%)" in english
    # Closed means closed: no more answers, and closing again says so.
    await ws.driver.command(seed.ADMIN, f"admin survey close {code}")
    assert "すでに締め切られています" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    async with ws.deps.uow() as uow:
        run = await uow.surveys.run_by_code(code)
        assert run.status == "closed" and len(await uow.surveys.responses(run.id)) == 2


async def test_a_planning_survey_closes_with_its_first_questions_counts(ws):
    code = await send_planning(ws)
    for user in [c[0] for c in seed.COORDINATORS][:5]:
        await answer_survey(ws, user, code, {"need": "not_needed"})
    await ws.driver.command(seed.ADMIN, f"admin survey close {code}")
    await ws.run_due()
    shown = texts(closed_notices(ws, seed.ADMIN, code))
    assert "回答者 5人" in shown and "不要：*5*" in shown
