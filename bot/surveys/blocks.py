"""Survey dialog messages, invitations and the report as Block Kit. Pure: plain values in, blocks out.

Every interactive value is ``run_code|question_id|option_id`` (see ``survey_value``).
It never carries a user id: the handler takes identity from the payload's user, so a
copied or forged value can at most answer the clicker's own survey, and the dialog
ignores it unless it matches their current question.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import ids
from bot.kit import actions, button, context, divider, escape, header, lines_within, option, plain, section
from bot.core.i18n import t
from bot.surveys.definitions import Question, Survey
from bot.surveys.dialog import MAX_TEXT_LENGTH, Progress, current_question
from bot.surveys.report import MIN_CELL, QuestionResult, SurveyReport, format_mean, scale_ends

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
                      button(t("surveys.dialog.cancel", lang), ids.SURVEY_CANCEL, value()), block_id=block_id)]
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
    return elements


def build_text_answer_modal(survey: Survey, progress: Progress, run_code: str, lang: str) -> dict:
    """The modal for the current free-text question; raises if the current question is not text."""
    question = current_question(survey, progress)
    if question is None or question.kind != "text":
        raise ValueError("the current question is not a free-text question")
    text_input = {"type": "plain_text_input", "action_id": ids.SURVEY_TEXT_INPUT, "multiline": True,
                  "max_length": MAX_TEXT_LENGTH,
                  "placeholder": plain(t("surveys.dialog.modal_placeholder", lang)[:150])}
    current = progress.answers.get(question.id)
    if isinstance(current, str) and current:
        text_input["initial_value"] = current
    return {
        "type": "modal",
        "callback_id": ids.SURVEY_TEXT_VIEW,
        "private_metadata": survey_value(run_code, question.id),
        "title": plain(t("surveys.dialog.modal_title", lang)[:MAX_MODAL_TITLE]),
        "submit": plain(t("surveys.dialog.modal_submit", lang)[:MAX_MODAL_TITLE]),
        "close": plain(t("surveys.dialog.modal_close", lang)[:MAX_MODAL_TITLE]),
        "blocks": [
            section(f"*{question.text.get(lang)}*"),
            {"type": "input", "block_id": ids.SURVEY_TEXT_BLOCK, "label": plain(t("surveys.dialog.modal_label", lang)),
             "element": text_input, "optional": False},
        ],
    }


def build_dialog_error(error_key: str, lang: str) -> list[dict]:
    """An ephemeral note for an INVALID transition (``Transition.error_key``)."""
    return [section(t(error_key, lang, max=MAX_TEXT_LENGTH))]


def build_paused(lang: str) -> list[dict]:
    """After the dialog's cancel: what happened to the answers and how to come back."""
    return [section(t("surveys.paused.body", lang)), context(t("surveys.paused.resume", lang))]


def build_not_an_answer(lang: str) -> list[dict]:
    """A DM that reads as a command while a text question waits: not taken as the answer."""
    return [section(t("surveys.not_an_answer.body", lang)), context(t("surveys.not_an_answer.hint", lang))]


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
