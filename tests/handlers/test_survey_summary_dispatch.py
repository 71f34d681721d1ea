"""Issue 22 through the real AsyncApp: small sessions' answers merged into their bureau's or the
year's total, the yearly summary (`admin survey summary`), and a small session's report saying
where its answers count."""

from __future__ import annotations

from datetime import timedelta

from bot.local import seed
from bot.surveys.definitions import load_survey
from tests.handlers.conftest import add_coordinators, announced, reply_to, texts
from tests.handlers.test_survey_dialog import answer_survey

POST = load_survey("post_session")
TIMES = "minutes=120 capacity=30 min=2 deadline=2027-05-01T17:00 release=2027-05-07T09:00"


def answers(satisfaction: str, comment: str | None) -> dict:
    chosen = {q.id: q.options[0].id for q in POST.questions if q.kind in ("single", "scale5")}
    chosen["themes"] = ["education"]
    return {**chosen, "satisfaction": satisfaction, "comments": comment}


async def held_year(ws) -> dict[str, str]:
    """Five sessions in May 2027 (FY2027): Tokyo 6 + 2 answers, Osaka 3 + 3, Nagoya 3. Returns
    session code -> its survey run's code, every run closed (all responses written)."""
    tokyo = await add_coordinators(ws, 8, prefecture="東京都", prefix="UT")
    osaka = await add_coordinators(ws, 6, prefecture="大阪府", prefix="UO")
    nagoya = await add_coordinators(ws, 3, prefecture="愛知県", prefix="UN")
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    plan = [("tokyo", "10:00", tokyo[:6]), ("tokyo", "14:00", tokyo[6:]), ("osaka", "10:00", osaka[:3]),
            ("osaka", "14:00", osaka[3:]), ("nagoya", "10:00", nagoya)]
    for bureau, start, _ in plan:
        await ws.driver.command(seed.ADMIN, f"admin session new case=C1 bureau={bureau} start=2027-05-15T{start} {TIMES}")
    await announced(ws)
    for number, (_, _, people) in enumerate(plan, start=1):
        for user in people:
            await ws.driver.command(user, f"join S{number}")
    await ws.advance(timedelta(days=44, hours=8))  # 15 May 17:00: every session has ended
    runs = {}
    async with ws.deps.uow() as uow:
        for number in range(1, 6):
            item = await uow.sessions.by_code(f"S{number}")
            assert item.status == "held", (item.code, item.status)
            runs[item.code] = (await uow.surveys.runs_for_session(item.id, "post_session"))[0].code
    comments = {"S1": "大きい回の感想", "S2": "東京の小さい回の感想", "S3": "大阪の感想A", "S4": "大阪の感想B",
                "S5": "名古屋の感想"}
    for number, (_, _, people) in enumerate(plan, start=1):
        code = f"S{number}"
        for index, user in enumerate(people):
            await answer_survey(ws, user, runs[code], answers("5" if number == 1 else "2", f"{comments[code]}{index}"))
    await ws.advance(timedelta(days=8))  # every run closes: its last finished dialogs are written
    return runs


async def test_the_yearly_summary_counts_every_answer_and_says_which_sessions_were_merged(ws):
    runs = await held_year(ws)
    await ws.driver.command(seed.ADMIN, "admin survey summary 令和9")
    shown = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "令和9年度" in shown
    assert "回答者 17人（対象 17人、回答率 100%）" in shown
    # Tokyo (8) and Osaka (6) have a row of their own; Nagoya's three count in the national total.
    assert "東京：回答者 8人" in shown and "大阪：回答者 6人" in shown and "名古屋：回答者" not in shown
    assert "東京の合計に合算した開催回：S2" in shown
    assert "大阪の合計に合算した開催回：S3, S4" in shown
    assert "全国の合計に合算した開催回：S5" in shown
    assert "S1（東京）：回答者 6人／対象 6人" in shown and "`/jirei admin report S1`" in shown
    # Sessions in their own order, whenever their surveys were sent.
    assert [shown.index(f"S{n}（") for n in range(1, 6)] == sorted(shown.index(f"S{n}（") for n in range(1, 6))
    # Small sessions' comments only in pools of five or more: Osaka's six, and the national pool
    # of Tokyo's two and Nagoya's three. A big session's comments stay in its own report.
    for code, count in (("S3", 3), ("S4", 3), ("S2", 2), ("S5", 3)):
        prefix = {"S2": "東京の小さい回の感想", "S3": "大阪の感想A", "S4": "大阪の感想B", "S5": "名古屋の感想"}[code]
        assert all(f"{prefix}{i}" in shown for i in range(count))
    assert "大きい回の感想" not in shown
    assert "満足度 平均" in shown
    # The same year written another way, and the English reply.
    assert "回答者 17人" in await reply_to(ws, seed.ADMIN, "admin survey summary year=2027")
    await ws.driver.command(seed.ADMIN, "profile set lang=en")
    await ws.driver.command(seed.ADMIN, "admin survey summary FY2027")
    english = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "FY2027" in english and "Merged into the national total (fewer than 5 respondents each): S5" in english

    # A small session's own report shows nothing, and says where its answers count.
    await ws.driver.command(seed.ADMIN, "profile set lang=ja")
    await ws.driver.command(seed.ADMIN, "admin report S5")
    report = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "回答者 3人" in report and "名古屋の感想" not in report
    assert "2027年度の全国の合計に含めて集計" in report
    assert "2027年度の東京の合計に含めて集計" in await reply_to(ws, seed.ADMIN, "admin report S2")
    assert "合計に含めて集計" not in await reply_to(ws, seed.ADMIN, f"admin report {runs['S1']}")


async def test_the_summary_is_for_the_secretariat_and_an_empty_year_says_so(ws):
    assert "管理者" in await reply_to(ws, seed.STAFF_TOKYO, "admin survey summary")
    assert "送信した参加者アンケートはありません" in await reply_to(ws, seed.ADMIN, "admin survey summary")
    assert "someday" in await reply_to(ws, seed.ADMIN, "admin survey summary someday")
