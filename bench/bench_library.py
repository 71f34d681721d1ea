"""Benchmark: the case library's search over 2,000 cases, on SQLite and PostgreSQL.

    python bench/bench_library.py [--cases 2000] [--rounds 40] [--postgres URL]

Fills a fresh database with `cases` published cases (titles, themes, summaries and commentaries of
about 2,500 characters written from case-study sentences, fixed seed) through the library's own
repository, then times, in the same run, `/jirei cases` searches (bot/library/service.search: a unit
of work, the query, the rows) against a plain primary-key lookup of one entry in a unit of work of
its own. Printed per query: median and p95 in ms, and the median as a ratio to the lookup's. Goal:
every search's p95 under 50 ms.

SQLite always (a temporary file). PostgreSQL when `--postgres` names a server database to connect
through (postgresql+asyncpg://…/jirei) or JIREI_TEST_POSTGRES_URL is set: a scratch database is
created beside it and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bot.library import service as library  # noqa: E402
from bot.library.results import LibrarySearch  # noqa: E402
from config.reference import bureaus, themes  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402
from storage.db import (create_scratch_database, drop_scratch_database, make_engine,  # noqa: E402
                        make_session_factory, migrate)
from storage.models import Case, LibraryEntry  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402

GOAL_MS = 50.0
START = datetime(2020, 4, 1, tzinfo=timezone.utc)
SUBJECTS = ["技能実習生", "特定技能の外国人", "留学生", "永住者の母親", "日本人の配偶者", "難民申請中の男性",
            "介護職員として働く女性", "建設現場で働く青年", "小学生の保護者", "外国籍の高齢者"]
TROUBLES = ["賃金の未払いについて相談に来た", "在留資格の更新が間に合わないと訴えた", "医療通訳の手配を求めた",
            "子どもの就学手続きがわからないと話した", "配偶者からの暴力を打ち明けた", "転籍を希望していると話した",
            "国民健康保険の滞納を心配していた", "住まいの契約で困っていた", "宗教上の食事の配慮を求めた",
            "年金の脱退一時金について尋ねた"]
STEPS = ["市役所の窓口と連携し", "労働基準監督署に相談して", "監理団体と面談を重ね", "学校の担任と話し合い",
         "配偶者暴力相談支援センターにつなぎ", "病院の医療ソーシャルワーカーと調整し", "行政書士の助言を得て",
         "やさしい日本語で説明を重ね", "通訳ボランティアの協力を得て", "地域の国際交流協会と協力し"]
ENDINGS = ["解決の見通しが立った。", "本人の不安が和らいだ。", "関係機関の役割分担が明確になった。",
           "継続して支援することになった。", "手続きを期限内に終えた。"]
POINTS = ["相談者の言葉の背景にある事情を聞き取ることが大切である。", "制度の説明は書面でも渡すとよい。",
          "一つの機関で抱え込まず、早めに連携先を探す。", "本人の意思を確認しながら進める。",
          "守秘義務と情報共有の範囲を最初に確かめておく。"]
QUERIES = [
    ("3+ characters, in many cases", LibrarySearch(words=("技能実習",))),
    ("3+ characters, in a commentary", LibrarySearch(words=("労働基準監督署",))),
    ("2 characters (LIKE)", LibrarySearch(words=("通訳",))),
    ("1 character (LIKE)", LibrarySearch(words=("滞",))),
    ("English, any case", LibrarySearch(words=("Labour",))),
    ("two words", LibrarySearch(words=("転籍", "監理団体"))),
    ("word + theme + year", LibrarySearch(words=("在留資格",), theme="immigration", fiscal_year=2024)),
    ("bureau only", LibrarySearch(bureau="osaka")),
    ("no match", LibrarySearch(words=("該当しない言葉",))),
    ("no words (newest)", LibrarySearch()),
]


def commentary(rng: random.Random) -> str:
    sentences = []
    while sum(map(len, sentences)) < 2500:
        sentences.append(f"{rng.choice(SUBJECTS)}が{rng.choice(TROUBLES)}。{rng.choice(STEPS)}、{rng.choice(ENDINGS)}"
                         f"{rng.choice(POINTS)}")
    return "\n".join(sentences)


async def fill(uow_factory, count: int) -> list[int]:
    rng = random.Random(25)
    codes = [th.code for th in themes()]
    bureau_codes = [b.code for b in bureaus()]
    ids = []
    for batch in range(0, count, 200):
        async with uow_factory() as uow:
            for number in range(batch, min(count, batch + 200)):
                published = START + timedelta(days=number * 1.2)
                theme = rng.choice(codes)
                title = f"{rng.choice(SUBJECTS)}が{rng.choice(TROUBLES)}事例"
                summary = f"{rng.choice(SUBJECTS)}の相談。{rng.choice(STEPS)}対応した。"
                body = commentary(rng)
                held = sorted(rng.sample(bureau_codes, rng.randint(1, 8)))
                case = await uow.cases.add(Case(title=title[:200], theme=theme, summary=summary, created_by="bench",
                                                created_at=published, published_at=published))
                await uow.library.put(LibraryEntry(
                    case_id=case.id, source="official", title=case.title, theme=theme, summary=summary,
                    commentary_text=body, fiscal_year=published.year if published.month >= 4 else published.year - 1,
                    bureaus_held=len(held), bureau_codes="," + ",".join(held) + ",",
                    search_text=library.search_text(case.title, theme, summary, body), published_at=published,
                    stale=False, indexed_at=published))
                ids.append(case.id)
    return ids


async def timed(work, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


async def measure(url: str, count: int, rounds: int) -> bool:
    engine = make_engine(url)
    await migrate(engine)
    factory = make_session_factory(engine)
    cipher = Cipher(generate_key())

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(factory, cipher, read_only=True)

    def writer() -> UnitOfWork:
        return UnitOfWork(factory, cipher)

    try:
        started = time.perf_counter()
        ids = await fill(writer, count)
        filled = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE library_entries"))
        rng = random.Random(3)

        async def lookup():
            async with uow_factory() as uow:
                assert await uow.library.get(rng.choice(ids)) is not None

        found: dict[str, int] = {}

        def searching(label: str, search: LibrarySearch):
            async def run():
                async with uow_factory() as uow:
                    result = await library.search(uow, search)
                found[label] = len(result.entries) + (1 if result.more else 0)
            return run

        await timed(lookup, 5)  # warm the pool and the caches
        baseline = await timed(lookup, rounds)
        base = statistics.median(baseline)
        print(f"{engine.dialect.name}: {count} cases indexed in {filled:.1f} s; primary-key lookup median "
              f"{base:.2f} ms, p95 {p95(baseline):.2f} ms")
        print(f"  {'query':<32}{'found':>6}{'median ms':>11}{'p95 ms':>9}{'× lookup':>10}")
        worst = 0.0
        for label, search in QUERIES:
            await timed(searching(label, search), 2)
            times = await timed(searching(label, search), rounds)
            worst = max(worst, p95(times))
            shown = f"{found[label]}" if found[label] <= 10 else "10+"
            print(f"  {label:<32}{shown:>6}{statistics.median(times):>11.2f}{p95(times):>9.2f}"
                  f"{statistics.median(times) / base:>9.1f}×")
        met = worst < GOAL_MS
        print(f"  slowest p95 {worst:.1f} ms (goal < {GOAL_MS:.0f} ms: {'met' if met else 'NOT met'})")
        return met
    finally:
        await engine.dispose()


async def main(count: int, rounds: int, postgres: str | None) -> int:
    results = []
    with tempfile.TemporaryDirectory(prefix="jirei-bench-") as folder:
        results.append(await measure(f"sqlite+aiosqlite:///{Path(folder) / 'library.db'}", count, rounds))
    if postgres:
        url, name = await create_scratch_database(postgres, "jirei_bench")
        try:
            results.append(await measure(url, count, rounds))
        finally:
            await drop_scratch_database(postgres, name)
    else:
        print("postgresql: skipped (give --postgres URL or set JIREI_TEST_POSTGRES_URL)")
    return 0 if all(results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--postgres", default=os.environ.get("JIREI_TEST_POSTGRES_URL"))
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.cases, arguments.rounds, arguments.postgres)))
