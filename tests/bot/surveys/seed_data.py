"""The agency's plan (the seed) read as data, and 25 respondents who reproduce its tables.

Shared by the survey tests and the survey block tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.surveys import dialog
from bot.surveys.definitions import Survey

# A copy of the agency's plan (shared/seed/000_15f3ecea038ea162.txt), kept as the tests' own fixture
# so the suite passes on any clone.
SEED_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "agency_plan.txt"
QUESTION_PREFIX = "問) "
TABLE_HEADING = "回答\t回答数"


@dataclass(frozen=True)
class SeedTable:
    question: str                  # without the leading 問)
    rows: tuple[tuple[str, int], ...]
    block: str                     # the seed's text of the whole table, verbatim


def seed_text() -> str:
    return SEED_FILE.read_text(encoding="utf-8")


def seed_questions() -> list[str]:
    return [line[len(QUESTION_PREFIX):] for line in seed_text().splitlines() if line.startswith(QUESTION_PREFIX)]


def seed_tables() -> list[SeedTable]:
    lines = seed_text().splitlines()
    tables = []
    for i, line in enumerate(lines):
        if not line.startswith(QUESTION_PREFIX) or lines[i + 2] != TABLE_HEADING:
            continue
        end = i + 3
        while end < len(lines) and lines[end].strip():
            end += 1
        rows = tuple((label, int(count)) for label, count in (row.split("\t") for row in lines[i + 3:end]))
        tables.append(SeedTable(line[len(QUESTION_PREFIX):], rows, "\n".join(lines[i:end])))
    return tables


def seed_free_text_answers() -> list[str]:
    """The ○ lines listed under the free-text question (主な回答), without the ○."""
    lines = seed_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(QUESTION_PREFIX) and "御意見" in line)
    answers = []
    for line in lines[start + 1:]:
        if line.startswith("⇒"):
            break
        if line.startswith("○"):
            answers.append(line[1:])
    return answers


def _expand(counts: list[tuple[str, int]]) -> list[str]:
    return [label for label, n in counts for _ in range(n)]


def drive_seed_respondents(survey: Survey) -> list[dict[str, dialog.Answer]]:
    """Push 25 people through the dialog so the tally equals the seed's tables.

    The scheme (see the comment in config/surveys/planning.yaml): 21 answer 必要 and 4 不要;
    the format questions are optional only for 不要, and two of those four skip them, so
    Q2–Q4 have 23 answers as in the seed. The first six leave the seed's free-text answers;
    the rest skip that optional question. Every step is also clicked twice, and the second
    click must be ignored.
    """
    tables = {table.question: table.rows for table in seed_tables()}
    by_text = {q.text.ja: q for q in survey.questions}
    label_to_id = {q.id: {o.label.ja: o.id for o in q.options} for q in survey.questions}
    need, group_size, duration, themes, opinion = survey.questions

    needs = _expand(list(tables[need.text.ja]))                  # 21 必要 then 4 不要
    answering_format = list(range(23))                           # indices 21, 22 are 不要 but answer
    sizes = _expand(list(tables[group_size.text.ja]))
    durations = _expand(list(tables[duration.text.ja]))
    # Themes: each theme's picks go to consecutive respondents, continuing round-robin, so
    # every one of the 23 picks at least one theme (86 picks in all) and no one picks twice.
    picks: list[set[str]] = [set() for _ in answering_format]
    pointer = 0
    for label, n in tables[themes.text.ja]:
        for _ in range(n):
            picks[pointer % len(picks)].add(label)
            pointer += 1
    opinions = seed_free_text_answers()
    assert by_text[opinion.text.ja] is opinion

    responses = []
    for person in range(25):
        progress = dialog.Progress()
        steps = [
            lambda p: dialog.choose(survey, p, need.id, label_to_id[need.id][needs[person]]),
        ]
        if person in answering_format:
            steps += [
                lambda p: dialog.choose(survey, p, group_size.id, label_to_id[group_size.id][sizes[person]]),
                lambda p: dialog.choose(survey, p, duration.id, label_to_id[duration.id][durations[person]]),
                lambda p: dialog.set_multi(survey, p, themes.id,
                                           [label_to_id[themes.id][label] for label in sorted(picks[person])]),
                lambda p: dialog.next_(survey, p, themes.id),
            ]
        else:
            steps += [lambda p, q=q: dialog.skip(survey, p, q.id) for q in (group_size, duration, themes)]
        if person < len(opinions):
            steps.append(lambda p: dialog.answer_text(survey, p, opinion.id, f"  {opinions[person]}\n"))
        else:
            steps.append(lambda p: dialog.skip(survey, p, opinion.id))

        for step in steps:
            transition = step(progress)
            assert transition.outcome not in (dialog.Outcome.IGNORED, dialog.Outcome.INVALID), transition
            progress = transition.progress
            if transition.outcome is not dialog.Outcome.RECORDED:
                # The same click again (a double click or a Slack retry) must change nothing.
                again = step(progress)
                assert again.outcome is dialog.Outcome.IGNORED and again.progress == progress
        assert progress.done
        responses.append(dialog.final_answers(survey, progress))
    return responses
