"""The yearly summary of the participant survey: every answer counted somewhere, no breakdown under
five, small sessions' comments only in pools that no session can be picked out of."""

from __future__ import annotations

import json

from bot.surveys.blocks import build_merge_note, build_year_summary
from bot.surveys.definitions import load_survey
from bot.surveys.report import (MERGED_BUREAU, MERGED_TOTAL, MIN_CELL, OWN, SessionAnswers, headline,
                                summarise_year)

POST = load_survey("post_session")


def answer(satisfaction: str, comment: str | None = None) -> dict:
    return {"satisfaction": satisfaction, "usefulness": "4", "preparation_time": "under_30",
            "group_size": "people_5_6", "duration": "min_120", "themes": ["education"], "format": "hybrid",
            "comments": comment}


def session(code: str, bureau: str | None, satisfaction: list[str], comments: list[str | None] | None = None,
            invited: int = 8) -> SessionAnswers:
    comments = comments or [None] * len(satisfaction)
    return SessionAnswers(f"R{code[1:]}", code, bureau, invited,
                          tuple(answer(s, c) for s, c in zip(satisfaction, comments)))


YEAR = [
    session("S1", "tokyo", ["5", "5", "4", "4", "3", "5"], ["大きい回の感想"] + [None] * 5),
    session("S2", "tokyo", ["2", "3"], ["東京の小さい回の感想", "東京2"]),
    session("S3", "osaka", ["4", "4", "4"], ["大阪A", "大阪B", "大阪E"]),
    session("S4", "osaka", ["5", "5", "1"], ["大阪C", None, "大阪D"]),
    session("S5", "nagoya", ["3", "2", "1"], ["名古屋の感想", "名古屋2", "名古屋3"]),
    session("S6", None, [], []),
]


def test_every_answer_counts_in_the_total_and_only_big_enough_groups_break_down():
    summary = summarise_year(POST, 2027, YEAR)
    assert summary.total.respondents == 17 and summary.total.invited == 48
    assert summary.total.question("satisfaction").counts == {"1": 2, "2": 2, "3": 3, "4": 5, "5": 5}
    # Tokyo (8) and Osaka (6) have five or more; Nagoya (3) does not.
    assert set(summary.by_bureau) == {"tokyo", "osaka"}
    assert summary.by_bureau["tokyo"].respondents == 8 and summary.by_bureau["osaka"].respondents == 6
    assert all(not report.suppressed for report in summary.by_bureau.values())
    shown = {line.session_code: line.shown for line in summary.sessions}
    assert shown == {"S1": OWN, "S2": MERGED_BUREAU, "S3": MERGED_BUREAU, "S4": MERGED_BUREAU, "S5": MERGED_TOTAL,
                     "S6": OWN}
    assert summary.merged_sessions(MERGED_BUREAU, "osaka") == ("S3", "S4")
    assert summary.merged_sessions(MERGED_TOTAL) == ("S5",)


def test_small_sessions_comments_appear_only_in_pools_of_five_or_more():
    summary = summarise_year(POST, 2027, YEAR)
    pools = {pool.bureau: pool for pool in summary.merged_comments}
    # Osaka's two small sessions hold six answers: their own pool. Tokyo's one small session (2)
    # is too few alone, so its comments join the national pool with Nagoya's (3): five.
    assert set(pools) == {"osaka", None}
    assert pools["osaka"].sessions == ("S3", "S4")
    assert pools["osaka"].report.question("comments").answers == ("大阪A", "大阪B", "大阪C", "大阪D", "大阪E")
    assert pools[None].sessions == ("S2", "S5")
    assert pools[None].report.question("comments").answers == ("名古屋2", "名古屋3", "名古屋の感想", "東京2", "東京の小さい回の感想")
    # Like any question, a pool's comments need five of them to be shown.
    few = summarise_year(POST, 2027, [session("S1", "osaka", ["4", "4", "4"], ["A", None, None]),
                                      session("S2", "osaka", ["4", "4", "4"], ["B", "C", None])])
    assert few.merged_comments[0].report.question("comments").suppressed
    # The big session's comment is in no pool (it has its own report).
    assert all("大きい回の感想" not in pool.report.question("comments").answers for pool in pools.values())
    assert all(pool.report.respondents >= MIN_CELL and len(pool.sessions) >= 2 for pool in pools.values())


def test_a_national_pool_under_five_shows_no_comments():
    summary = summarise_year(POST, 2027, [session("S1", "tokyo", ["5"] * 5),
                                          session("S2", "nagoya", ["1", "2"], ["一人目", "二人目"])])
    assert summary.merged_comments == ()
    assert summary.total.respondents == 7
    assert [line.shown for line in summary.sessions] == [OWN, MERGED_TOTAL]


def test_headline_is_the_means_of_the_scale_questions():
    summary = summarise_year(POST, 2027, YEAR)
    means = {result.question_id: result.mean for result in headline(summary.total)}
    assert means == {"satisfaction": (2 * 1 + 2 * 2 + 3 * 3 + 5 * 4 + 5 * 5) / 17, "usefulness": 4.0}
    small = summarise_year(POST, 2027, [session("S1", "tokyo", ["5", "4"])])
    assert headline(small.total) == ()


def test_the_summary_blocks_name_merged_sessions_and_keep_comments_out_of_the_totals():
    summary = summarise_year(POST, 2027, YEAR)
    for lang in ("ja", "en"):
        blocks = build_year_summary(summary, POST, lang)
        assert len(blocks) <= 50
        shown = json.dumps(blocks, ensure_ascii=False)
        assert "大きい回の感想" not in shown  # a big session's comments are in its own report only
        assert "大阪C" in shown and "名古屋の感想" in shown
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
    ja = json.dumps(build_year_summary(summary, POST, "ja"), ensure_ascii=False)
    assert "令和9年度" in ja
    assert "大阪の合計に合算した開催回：S3, S4" in ja
    assert "全国の合計に合算した開催回：S5" in ja
    assert "東京の合計に合算した開催回：S2" in ja
    assert "満足度 平均 3.5" in ja
    assert "名古屋" not in ja.split("地方局別")[1].split("開催回別")[0]  # no Nagoya row: three answers
    en = json.dumps(build_year_summary(summary, POST, "en"), ensure_ascii=False)
    assert "Merged into the national total" in en and "FY2027" in en


def test_an_empty_year_says_so_and_a_small_sessions_report_says_where_it_counts():
    empty = build_year_summary(summarise_year(POST, 2030, []), POST, "ja")
    assert "送信した参加者アンケートはありません" in json.dumps(empty, ensure_ascii=False)
    note = json.dumps(build_merge_note(2027, MERGED_BUREAU, "osaka", "ja"), ensure_ascii=False)
    assert "2027年度の大阪の合計" in note
    note = json.dumps(build_merge_note(2027, MERGED_TOTAL, None, "en"), ensure_ascii=False)
    assert "national total for FY2027" in note
