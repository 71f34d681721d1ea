"""Survey dialog messages, invitations and the report as Block Kit. Pure: plain values in, blocks out.

Every interactive value is ``run_code|question_id|option_id`` (see ``survey_value``).
It never carries a user id: the handler takes identity from the payload's user, so a
copied or forged value can at most answer the clicker's own survey, and the dialog
ignores it unless it matches their current question.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import ids
from bot.kit import actions, button, context, divider, escape, header, lines_within, modal, option, plain, section
from bot.core.i18n import catalog, t
from bot.core.pseudonymisation import Proposal
from bot.surveys.definitions import Question, Survey
from bot.surveys.dialog import MAX_TEXT_LENGTH, Progress, current_question
from bot.surveys.report import (MERGED_BUREAU, MERGED_TOTAL, MIN_CELL, OWN, QuestionResult, SurveyReport, YearSummary,
                                format_mean, headline, response_rate, scale_ends)
from config.reference import bureaus

VALUE_SEPARATOR = "|"
# Slack shows at most five buttons in a row comfortably; longer lists become radio buttons.
MAX_BUTTONS = 5
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_MODAL_TITLE = 24
# How much free text the report shows in Slack; the exports carry everything.
MAX_TEXT_ITEMS = 10
MAX_TEXT_ITEM_CHARS = 300


@dataclass(frozen=True)
class SurveyValue:
    run_code: str
    question_id: str
    option_id: str


def survey_value(run_code: str, question_id: str = "", option_id: str = "") -> str:
    return VALUE_SEPARATOR.join((run_code, question_id, option_id))


def parse_survey_value(value: str | None) -> SurveyValue | None:
    """Decode a button/option value; None for anything not shaped like ours."""
    parts = (value or "").split(VALUE_SEPARATOR)
    if len(parts) != 3 or not parts[0]:
        return None
    return SurveyValue(*parts)


# --- the dialog ------------------------------------------------------------------------------


def build_question_message(survey: Survey, progress: Progress, run_code: str, lang: str) -> list[dict]:
    """The message showing the respondent's current question (or the thanks once done)."""
    question = current_question(survey, progress)
    if question is None:
        return build_thank_you(lang)
    blocks = [
        header(t("surveys.dialog.progress", lang, number=progress.step + 1, total=len(survey.questions))),
        section(f"*{question.text.get(lang)}*"),
    ]
    if question.note:
        blocks.append(context(question.note.get(lang)))
    blocks += _answer_blocks(question, progress, run_code, lang)
    optional = question.is_optional(progress.answers)
    if optional:
        blocks.append(context(t("surveys.dialog.optional_hint", lang)))
    navigation = _navigation(question, progress, run_code, lang, optional)
    if navigation:
        blocks.append(actions(*navigation, block_id=f"{ids.SURVEY_NAV_BLOCK}:{question.id}"))
    return blocks


def _answer_blocks(question: Question, progress: Progress, run_code: str, lang: str) -> list[dict]:
    # The block id names the question so Slack never carries a checkbox state from one
    # question over to the next when the message is updated in place.
    block_id = f"{ids.SURVEY_ANSWER_BLOCK}:{question.id}"
    current = progress.answers.get(question.id)

    def value(option_id: str = "") -> str:
        return survey_value(run_code, question.id, option_id)

    if question.kind in ("single", "scale5") and len(question.options) <= MAX_BUTTONS:
        buttons = [button(o.label.get(lang), f"{ids.SURVEY_CHOOSE}:{o.id}", value(o.id),
                          style="primary" if o.id == current else None)
                   for o in question.options]
        blocks = [actions(*buttons, block_id=block_id)]
        if question.kind == "scale5":
            low, high = scale_ends(question, lang)
            blocks.append(context(t("surveys.dialog.scale_hint", lang, low=low, high=high)))
        return blocks
    if question.kind == "single":
        radio = {"type": "radio_buttons", "action_id": ids.SURVEY_CHOOSE,
                 "options": [option(o.label.get(lang), value(o.id)) for o in question.options]}
        chosen = question.option(current) if isinstance(current, str) else None
        if chosen:
            radio["initial_option"] = option(chosen.label.get(lang), value(chosen.id))
        return [actions(radio, block_id=block_id)]
    if question.kind == "multi":
        boxes = {"type": "checkboxes", "action_id": ids.SURVEY_MULTI,
                 "options": [option(o.label.get(lang), value(o.id)) for o in question.options]}
        selected = set(current) if isinstance(current, list) else set()
        if selected:
            boxes["initial_options"] = [option(o.label.get(lang), value(o.id))
                                        for o in question.options if o.id in selected]
        return [context(t("surveys.dialog.multi_hint", lang)), actions(boxes, block_id=block_id)]
    blocks = [actions(button(t("surveys.dialog.text_open", lang), ids.SURVEY_TEXT_OPEN, value(), style="primary"),
                      block_id=block_id)]
    if isinstance(current, str) and current:
        blocks.append(context(t("surveys.dialog.text_current", lang, answer=escape(_shorten(current, 500)))))
    blocks.append(context(t("surveys.dialog.text_dm_hint", lang)))
    return blocks


def _navigation(question: Question, progress: Progress, run_code: str, lang: str, optional: bool) -> list[dict]:
    value = survey_value(run_code, question.id)
    elements = []
    if progress.step > 0:
        elements.append(button(t("surveys.dialog.back", lang), ids.SURVEY_BACK, value))
    if optional:
        elements.append(button(t("surveys.dialog.skip", lang), ids.SURVEY_SKIP, value))
    current = progress.answers.get(question.id)
    # Multi answers are confirmed with Next; a text answer kept after going back can be too.
    if question.kind == "multi" or (question.kind == "text" and isinstance(current, str) and current):
        elements.append(button(t("surveys.dialog.next", lang), ids.SURVEY_NEXT, value, style="primary"))
    # 中断 on every question: the answers so far are kept; the Home tab or the invitation resumes.
    elements.append(button(t("surveys.dialog.cancel", lang), ids.SURVEY_CANCEL, value))
    return elements


def build_text_answer_modal(survey: Survey, progress: Progress, run_code: str, lang: str,
                            initial: str | None = None) -> dict:
    """The modal for the current free-text question (prefilled with `initial`, or the answer kept);
    raises if the current question is not text."""
    question = current_question(survey, progress)
    if question is None or question.kind != "text":
        raise ValueError("the current question is not a free-text question")
    text_input = {"type": "plain_text_input", "action_id": ids.SURVEY_TEXT_INPUT, "multiline": True,
                  "max_length": MAX_TEXT_LENGTH,
                  "placeholder": plain(t("surveys.dialog.modal_placeholder", lang)[:150])}
    current = initial if initial is not None else progress.answers.get(question.id)
    if isinstance(current, str) and current:
        text_input["initial_value"] = current
    return modal(ids.SURVEY_TEXT_VIEW, t("surveys.dialog.modal_title", lang)[:MAX_MODAL_TITLE], [
            section(f"*{question.text.get(lang)}*"),
            {"type": "input", "block_id": ids.SURVEY_TEXT_BLOCK, "label": plain(t("surveys.dialog.modal_label", lang)),
             "element": text_input, "optional": False},
        ], submit=t("surveys.dialog.modal_submit", lang)[:MAX_MODAL_TITLE],
        close=t("surveys.dialog.modal_close", lang)[:MAX_MODAL_TITLE],
        private_metadata=survey_value(run_code, question.id))


def build_dialog_error(error_key: str, lang: str) -> list[dict]:
    """An ephemeral note for an INVALID transition (``Transition.error_key``)."""
    return [section(t(error_key, lang, max=MAX_TEXT_LENGTH))]


def build_paused(run_code: str, lang: str) -> list[dict]:
    """After the dialog's 中断 (or 「キャンセル」 typed): what happened to the answers, and a button
    to come back where they stopped."""
    return [section(t("surveys.paused.body", lang)),
            actions(button(t("surveys.paused.resume_button", lang), ids.SURVEY_START, survey_value(run_code),
                           style="primary")),
            context(t("surveys.paused.resume", lang))]


def build_choice_help(lang: str) -> list[dict]:
    """「help」 typed while a choice question waits: how to answer it."""
    return [section(t("surveys.choice_help.body", lang)), context(t("surveys.choice_help.hint", lang))]


def build_not_an_answer(lang: str) -> list[dict]:
    """A DM that reads as a command while a text question waits: not taken as the answer."""
    return [section(t("surveys.not_an_answer.body", lang)), context(t("surveys.not_an_answer.hint", lang))]


def build_text_proposal(run_code: str, question_id: str, original: str, proposal: Proposal, lang: str,
                        *, confirming: bool = False) -> list[dict]:
    """The personal-data check found something in a free-text answer: what it found, the proposal
    and the person's own text (plain text, exactly as they read), and the choice. Nothing is stored
    before the choice; with `confirming`, keeping the own text asks once more."""
    kinds = t("surveys.proposal.separator", lang).join(
        t(f"anonymisation.kind.{kind}", lang) for kind in dict.fromkeys(r.kind for r in proposal.replacements))
    value = survey_value(run_code, question_id)
    usable = len(proposal.text) <= MAX_TEXT_LENGTH
    blocks = [section(t("surveys.proposal.found", lang, kinds=kinds))]
    if usable:
        blocks += [context(t("surveys.proposal.proposal_heading", lang)),
                   {"type": "section", "block_id": ids.SURVEY_PROPOSAL_BLOCK, "text": plain(proposal.text, emoji=False)}]
    blocks += [context(t("surveys.proposal.original_heading", lang)),
               {"type": "section", "block_id": ids.SURVEY_ORIGINAL_BLOCK, "text": plain(original, emoji=False)}]
    if confirming:
        blocks += [section(t("surveys.proposal.confirm_keep", lang)),
                   actions(button(t("surveys.proposal.keep_confirm", lang), ids.SURVEY_TEXT_KEEP_CONFIRM, value,
                                  style="danger"),
                           button(t("surveys.proposal.keep_back", lang), ids.SURVEY_TEXT_KEEP_BACK, value))]
        return blocks
    choices = [button(t("surveys.proposal.use", lang), ids.SURVEY_TEXT_USE_PROPOSAL, value, style="primary")] \
        if usable else []
    choices += [button(t("surveys.proposal.edit", lang), ids.SURVEY_TEXT_EDIT, value),
                button(t("surveys.proposal.keep", lang), ids.SURVEY_TEXT_KEEP, value)]
    return blocks + [actions(*choices), context(t("surveys.proposal.not_stored", lang))]


def build_proposal_done(key: str, lang: str) -> list[dict]:
    """The proposal message once the choice is made: the texts are gone from it."""
    return [section(t(key, lang))]


def build_thank_you(lang: str) -> list[dict]:
    return [
        header(t("surveys.thank_you.title", lang)),
        section(t("surveys.thank_you.body", lang)),
        context(t("surveys.thank_you.anonymity", lang)),
    ]


def build_invitation(survey: Survey, run_code: str, deadline_text: str, lang: str) -> list[dict]:
    return [
        header(survey.title.get(lang)),
        section(f"{t('surveys.invitation.body', lang)}\n{survey.intro.get(lang)}"),
        context(t("surveys.invitation.deadline", lang, deadline=deadline_text)),
        actions(button(t("surveys.invitation.start", lang), ids.SURVEY_START, survey_value(run_code),
                       style="primary")),
        context(t("surveys.invitation.anonymity", lang)),
    ]


def build_reminder(survey: Survey, run_code: str, deadline_text: str, lang: str) -> list[dict]:
    return [
        section(t("surveys.reminder.body", lang, title=survey.title.get(lang))),
        context(t("surveys.invitation.deadline", lang, deadline=deadline_text)),
        actions(button(t("surveys.reminder.resume", lang), ids.SURVEY_START, survey_value(run_code),
                       style="primary")),
    ]


# --- the report ------------------------------------------------------------------------------


def render_blocks(report: SurveyReport, survey: Survey, lang: str = "ja") -> list[dict]:
    """The report for Slack: several questions per section, within Block Kit's limits."""
    intro = t("surveys.report.respondents_line", lang, respondents=report.respondents, invited=report.invited)
    if report.suppressed:
        intro += "\n" + t("surveys.report.suppressed_report", lang, min=MIN_CELL)
    blocks = [header(survey.title.get(lang)), context(intro), divider()]
    chunks = [_question_chunk(question, result, lang) for question, result in zip(survey.questions, report.questions)]
    # Each packed section remembers how many questions it holds, to report what is cut.
    packed: list[tuple[str, int]] = []
    for chunk in chunks:
        if packed and len(packed[-1][0]) + 2 + len(chunk) <= MAX_SECTION_TEXT:
            packed[-1] = (packed[-1][0] + "\n\n" + chunk, packed[-1][1] + 1)
        else:
            packed.append((chunk, 1))
    room = MAX_BLOCKS - len(blocks)
    if len(packed) > room:
        # Only a survey of dozens of long questions gets here; say what was left out.
        kept = packed[:room - 1]
        hidden = len(chunks) - sum(count for _, count in kept)
        return blocks + [section(text) for text, _ in kept] + [
            context(t("surveys.report.more_questions", lang, count=hidden))]
    return blocks + [section(text) for text, _ in packed]


def _question_chunk(question: Question, result: QuestionResult, lang: str) -> str:
    lines = [f"*{t('surveys.report.question_label', lang)}) {question.text.get(lang)}*"]
    if result.suppressed:
        lines.append(t("surveys.report.suppressed_question", lang, min=MIN_CELL))
    elif question.kind == "text":
        lines += _free_text_lines(result.answers, lang, MAX_SECTION_TEXT - len(lines[0]) - 100)
    else:
        lines += [t("surveys.report.count_line", lang, label=o.label.get(lang), count=result.counts[o.id])
                  for o in question.options]
        if result.mean is not None:
            low, high = scale_ends(question, lang)
            lines.append(t("surveys.report.scale_summary", lang, mean=format_mean(result.mean), low=low, high=high))
    # Lines hold escaped answers: whole lines are kept, never a line cut (it could split an entity).
    return "\n".join(lines_within(lines, MAX_SECTION_TEXT)[0])


def _free_text_lines(answers: tuple[str, ...], lang: str, budget: int) -> list[str]:
    if not answers:
        return [t("surveys.report.no_answers", lang)]
    bullet = t("surveys.report.bullet", lang)
    lines: list[str] = []
    used = 0
    for answer in answers[:MAX_TEXT_ITEMS]:
        line = bullet + escape(_shorten(" ".join(answer.split()), MAX_TEXT_ITEM_CHARS))
        if used + len(line) + 1 > budget:
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) < len(answers):
        lines.append(t("surveys.report.more_answers", lang, count=len(answers) - len(lines)))
    return lines


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- the yearly summary and merged sessions ------------------------------------------------------


def bureau_name(code: str | None, lang: str) -> str:
    found = next((b for b in bureaus() if b.code == code), None)
    return found.name(lang) if found is not None else t("surveys.summary.no_bureau", lang)


def rate_text(report: SurveyReport, lang: str) -> str:
    rate = response_rate(report)
    return t("surveys.summary.rate_unknown", lang) if rate is None else f"{rate * 100:.0f}%"


def headline_text(report: SurveyReport, survey: Survey, lang: str) -> str:
    """「満足度 平均 4.2、業務に役立つか 平均 4.0」: the scale questions' means; for a survey without
    any, the first choice question's counts; or why there is nothing to show."""
    results = headline(report)
    separator = t("surveys.summary.headline_separator", lang)
    if results:
        return separator.join(t("surveys.summary.headline_item", lang, mean=format_mean(result.mean),
                                label=_short_label(survey, result.question_id, lang)) for result in results)
    if not any(q.kind == "scale5" for q in survey.questions):
        first = next((q for q in survey.questions if q.kind == "single"), None)
        result = report.question(first.id) if first is not None else None
        if result is not None and not result.suppressed:
            counts = separator.join(t("surveys.report.count_line", lang, label=o.label.get(lang),
                                      count=result.counts[o.id]) for o in first.options)
            return t("surveys.summary.headline_counts", lang, question=_short_label(survey, first.id, lang),
                     counts=counts)
    return t("surveys.summary.no_headline", lang, min=MIN_CELL)


def _short_label(survey: Survey, question_id: str, lang: str) -> str:
    key = f"surveys.summary.label.{question_id}"
    if key in catalog("ja"):
        return t(key, lang)
    question = survey.question(question_id)
    return _shorten(question.text.get(lang), 20) if question else question_id


def build_merge_note(fiscal_year: int, shown: str, bureau: str | None, lang: str) -> list[dict]:
    """Under a small session's report: where its answers are counted instead."""
    key = "surveys.summary.merged_note_bureau" if shown == MERGED_BUREAU else "surveys.summary.merged_note_total"
    return [context(t(key, lang, year=fiscal_year, bureau=bureau_name(bureau, lang), min=MIN_CELL))]


def build_year_summary(summary: YearSummary, survey: Survey, lang: str) -> list[dict]:
    """`admin survey summary`: the year's totals (choice questions), the bureaus with enough answers,
    each session and where it is counted, and small sessions' comments in pools."""
    total = summary.total
    blocks = [header(t("surveys.summary.title", lang, year=summary.fiscal_year, era=summary.fiscal_year - 2018)),
              context(t("surveys.summary.overview", lang, sessions=len(summary.sessions), respondents=total.respondents,
                        invited=total.invited, rate=rate_text(total, lang)))]
    if not summary.sessions:
        return blocks + [section(t("surveys.summary.none", lang))]
    blocks.append(section(t("surveys.summary.headline", lang, headline=headline_text(total, survey, lang))))
    blocks.append(divider())
    if total.suppressed:
        blocks.append(context(t("surveys.report.suppressed_report", lang, min=MIN_CELL)))
    else:
        chunks = [_question_chunk(q, r, lang) for q, r in zip(survey.questions, total.questions) if q.kind != "text"]
        blocks += [section(text) for text in _packed(chunks)]
    blocks += [divider(), section(t("surveys.summary.bureaus_heading", lang, min=MIN_CELL))]
    order = {b.code: index for index, b in enumerate(bureaus())}
    rows = [t("surveys.summary.bureau_line", lang, bureau=bureau_name(code, lang), respondents=report.respondents,
              invited=report.invited, rate=rate_text(report, lang), headline=headline_text(report, survey, lang))
            for code, report in sorted(summary.by_bureau.items(), key=lambda kv: order.get(kv[0], len(order)))]
    blocks.append(section("\n".join(lines_within(rows, MAX_SECTION_TEXT)[0]) if rows
                          else t("surveys.summary.no_bureaus", lang, min=MIN_CELL)))
    blocks += [divider(), section(t("surveys.summary.sessions_heading", lang))]
    blocks += [section(text) for text in _packed(_session_lines(summary, lang), "\n")]
    merged = _merged_lines(summary, lang)
    if merged:
        blocks.append(context("\n".join(merged)))
    for pool in summary.merged_comments:
        where = bureau_name(pool.bureau, lang) if pool.bureau else t("surveys.summary.national", lang)
        blocks += [divider(), section(t("surveys.summary.comments_heading", lang, where=where, count=len(pool.sessions),
                                        respondents=pool.report.respondents, min=MIN_CELL))]
        texts = [_question_chunk(q, r, lang) for q, r in zip(survey.questions, pool.report.questions)
                 if q.kind == "text"]
        blocks += [section(text) for text in _packed(texts)]
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS - 1] + [context(t("surveys.summary.cut", lang))]
    return blocks


def _session_lines(summary: YearSummary, lang: str) -> list[str]:
    lines = []
    for line in summary.sessions:
        key = {OWN: "own", MERGED_BUREAU: "merged_bureau", MERGED_TOTAL: "merged_total"}[line.shown]
        if line.respondents == 0:
            key = "no_answers"
        lines.append(t(f"surveys.summary.session.{key}", lang, code=line.session_code or line.run_code,
                       run=line.run_code, bureau=bureau_name(line.bureau, lang), respondents=line.respondents,
                       invited=line.invited))
    return lines


def _merged_lines(summary: YearSummary, lang: str) -> list[str]:
    """Which sessions were merged, and into what."""
    lines = []
    for code in dict.fromkeys(line.bureau for line in summary.sessions if line.shown == MERGED_BUREAU):
        lines.append(t("surveys.summary.merged_into_bureau", lang, bureau=bureau_name(code, lang),
                       codes=", ".join(summary.merged_sessions(MERGED_BUREAU, code)), min=MIN_CELL))
    national = summary.merged_sessions(MERGED_TOTAL)
    if national:
        lines.append(t("surveys.summary.merged_into_total", lang, codes=", ".join(national), min=MIN_CELL))
    return lines


def _packed(chunks: list[str], joiner: str = "\n\n") -> list[str]:
    """Chunks joined into as few sections as Block Kit allows."""
    packed: list[str] = []
    for chunk in chunks:
        if packed and len(packed[-1]) + len(joiner) + len(chunk) <= MAX_SECTION_TEXT:
            packed[-1] += joiner + chunk
        else:
            packed.append(chunk)  # each chunk is within the limit already (lines_within)
    return packed


def build_closed_notice(report: SurveyReport, survey: Survey, run_code: str, session_code: str | None,
                        bureau: str | None, closed_by: str | None, lang: str) -> list[dict]:
    """To the secretariat when a survey run closes: responses, response rate and the headline."""
    about = survey.title.get(lang)
    if session_code:
        about = t("surveys.closed.about_session", lang, title=about, code=session_code,
                  bureau=bureau_name(bureau, lang))
    lines = [about,
             t("surveys.closed.figures", lang, respondents=report.respondents, invited=report.invited,
               rate=rate_text(report, lang)),
             t("surveys.summary.headline", lang, headline=headline_text(report, survey, lang))]
    blocks = [header(t("surveys.closed.title", lang, code=run_code)), section("\n".join(lines))]
    if closed_by:
        blocks.append(context(t("surveys.closed.by", lang, user=f"<@{closed_by}>")))
    blocks.append(context(t("surveys.closed.next", lang, code=run_code)))
    return blocks
