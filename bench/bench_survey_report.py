"""Benchmark: the report of a survey run with 10,000 stored responses.

    python bench/bench_survey_report.py [--responses 10000] [--database URL]

Stores `responses` encrypted planning-survey responses (random but valid answers, fixed seed) in
a fresh SQLite database (or the one given), then times, in one run, what `admin report R1` and
`export survey R1` do with them: read every row, decrypt each, tally (bot/surveys/service.py
`tally_run`), and render the seed-form text. Prints the total and the per-response cost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.surveys.service import RESPONSE_PAD_BYTES, tally_run  # noqa: E402
from bot.surveys.definitions import Survey, load_survey  # noqa: E402
from bot.surveys.report import RESPONSE_BUREAU_KEY, render_text  # noqa: E402
from storage.crypto import Cipher, generate_key  # noqa: E402
from storage.db import make_engine, make_session_factory, migrate  # noqa: E402
from storage.models import SurveyResponse, SurveyRun  # noqa: E402
from storage.uow import UnitOfWork  # noqa: E402

NOW = datetime(2027, 4, 1, tzinfo=timezone.utc)
OPINIONS = ["対面で年に一度は集まりたい", "オンラインのほうが参加しやすい", "地方局の会議室での開催を希望",
            "平日夜の開催を希望", "ハイブリッド形式がよい"]


def random_answers(survey: Survey, rng: random.Random) -> dict:
    answers: dict = {}
    for question in survey.questions:
        if question.kind == "multi":
            answers[question.id] = sorted(rng.sample(question.option_ids, rng.randint(1, 3)))
        elif question.kind == "text":
            answers[question.id] = rng.choice(OPINIONS) if rng.random() < 0.2 else None
        else:
            answers[question.id] = rng.choice(question.option_ids)
    return answers


async def store(uow_factory, count: int) -> int:
    survey = load_survey("planning")
    rng = random.Random(6)
    async with uow_factory() as uow:
        run = SurveyRun(survey_id=survey.id, status="closed", opens_at=NOW, deadline_at=NOW, created_by="bench",
                        created_at=NOW)
        uow.session.add(run)
        await uow.session.flush()
        # Stored as the batches store them: the bureau inside, padded, stamped with the opening time.
        bureaus = ["tokyo", "osaka", "nagoya", "fukuoka"]
        uow.session.add_all(SurveyResponse(run_id=run.id, bureau=None, answers_encrypted=uow.cipher.encrypt_json(
            {**random_answers(survey, rng), RESPONSE_BUREAU_KEY: rng.choice(bureaus)}, at=NOW,
            pad_to=RESPONSE_PAD_BYTES)) for _ in range(count))
        return run.id


async def main(count: int, database: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="jirei-bench-") as folder:
        url = database or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        await migrate(engine)
        factory = make_session_factory(engine)
        cipher = Cipher(generate_key())

        def uow_factory() -> UnitOfWork:
            return UnitOfWork(factory, cipher)

        try:
            run_id = await store(uow_factory, count)
            started = time.perf_counter()
            async with uow_factory() as uow:
                run = await uow.surveys.run(run_id)
                result = await tally_run(uow, run)
            tallied = time.perf_counter()
            text = render_text(result.report, result.survey)
            rendered = time.perf_counter()
        finally:
            await engine.dispose()
    respondents = result.report.respondents
    total = rendered - started
    print(f"survey report over {respondents} responses ({engine.dialect.name})")
    print(f"  read + decrypt + tally: {(tallied - started) * 1000:.1f} ms")
    print(f"  render seed-form text:  {(rendered - tallied) * 1000:.1f} ms ({len(text.splitlines())} lines)")
    print(f"  total:                  {total * 1000:.1f} ms")
    per_response = (tallied - started) / max(respondents, 1)
    print(f"  per response:           {per_response * 1e6:.1f} µs (read + decrypt + tally)")
    return 0 if respondents == count else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--database", help="a database URL (default: a fresh SQLite file)")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.responses, arguments.database)))
