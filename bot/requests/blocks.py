"""The lecturer's request in Slack: the secretariat's form, the lecturer's DM with 引き受ける /
辞退する, the small forms for a reason and a return note, the notices, and the Home tab's list."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot import ids
from bot.core.i18n import t
from bot.core.timefmt import format_date
from bot.kit import (actions, button, context, escape, fit, header, lines_within, modal, option, person, plain,
                     section)
from bot.requests.results import NOTE_MAX, REASON_MAX, STATES, TITLE_MAX, RequestLine
from config.reference import find_theme, themes

MAX_PER_STATE = 8
# What a note shows of itself in a message, before escaping (a section holds 3000 characters).
NOTE_SHOWN = 1200
SECTION_BUDGET = 2700  # of a state's lines in its section (3000 with its heading)


def due_text(due_on: date, lang: str, tz: ZoneInfo) -> str:
    return format_date(datetime.combine(due_on, time(12, 0), tz), lang, tz)


def theme_name(code: str, lang: str) -> str:
    found = find_theme(code)
    return found.name(lang) if found else code


def _note(text: str) -> str:
    shown, cut = fit(text, NOTE_SHOWN)
    return escape(shown) + ("…" if cut else "")


def build_request_modal(lang: str, today: date) -> dict:
    """The secretariat's form: field (any theme), working title, lecturer, due date, note."""

    def field(name: str, label: str, element: dict, optional: bool = False) -> dict:
        block_id, action_id = ids.REQUEST_FIELD_BLOCKS[name]
        element["action_id"] = action_id
        return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}

    theme_options = [option(th.name(lang), th.code) for th in themes()]
    return modal(ids.REQUEST_VIEW, t("requests.modal.title", lang), [
            section(t("requests.modal.intro", lang)),
            field("theme", t("requests.modal.theme", lang), {"type": "static_select", "options": theme_options}),
            field("title", t("requests.modal.title_field", lang),
                  {"type": "plain_text_input", "max_length": TITLE_MAX}),
            field("lecturer", t("requests.modal.lecturer", lang), {"type": "users_select"}),
            field("due", t("requests.modal.due", lang), {"type": "datepicker", "initial_date": today.isoformat()}),
            field("note", t("requests.modal.note", lang),
                  {"type": "plain_text_input", "multiline": True, "max_length": NOTE_MAX}, optional=True),
        ], submit=t("requests.modal.submit", lang), close=t("common.cancel", lang))


def build_request_dm(code: str, title: str, theme: str, requested_by: str, due_on: date, note: str, lang: str,
                     tz: ZoneInfo) -> list[dict]:
    """For the lecturer: what is asked, by whom and by when, with 引き受ける / 辞退する."""
    blocks = [header(t("requests.dm.heading", lang)),
              section(t("requests.dm.body", lang, code=code, title=escape(title), theme=escape(theme_name(theme, lang)),
                        by=person(requested_by, lang), due=due_text(due_on, lang, tz)))]
    if note:
        blocks.append(section(t("requests.dm.note", lang, note=_note(note))))
    blocks += [context(t("requests.dm.hint", lang)),
               actions(button(t("requests.dm.accept", lang), ids.REQUEST_ACCEPT, code, style="primary"),
                       button(t("requests.dm.decline", lang), ids.REQUEST_DECLINE, code),
                       block_id=f"request_{code}")]
    return blocks


def build_reason_modal(code: str, lang: str) -> dict:
    return modal(ids.REQUEST_DECLINE_VIEW, t("requests.decline_modal.title", lang), [
        section(t("requests.decline_modal.intro", lang, code=code)),
        {"type": "input", "block_id": ids.REQUEST_REASON_BLOCK, "optional": True,
         "label": plain(t("requests.decline_modal.reason", lang)),
         "element": {"type": "plain_text_input", "action_id": ids.REQUEST_REASON_INPUT, "multiline": True,
                     "max_length": REASON_MAX}},
    ], submit=t("requests.decline_modal.submit", lang), close=t("common.cancel", lang), private_metadata=code)


def build_return_modal(code: str, material_id: int, lang: str) -> dict:
    return modal(ids.REQUEST_RETURN_VIEW, t("requests.return_modal.title", lang), [
        section(t("requests.return_modal.intro", lang, code=code)),
        {"type": "input", "block_id": ids.REQUEST_RETURN_BLOCK,
         "label": plain(t("requests.return_modal.note", lang)),
         "element": {"type": "plain_text_input", "action_id": ids.REQUEST_RETURN_INPUT, "multiline": True,
                     "max_length": NOTE_MAX}},
    ], submit=t("requests.return_modal.submit", lang), close=t("common.cancel", lang),
        private_metadata=f"{code}:M{material_id}")


def build_answered(code: str, title: str, lecturer: str, status: str, case_code: str | None, reason: str,
                   lang: str) -> list[dict]:
    """For the secretariat: the lecturer accepted (the case's code) or declined (their reason)."""
    if status == "accepted":
        blocks = [section(t("requests.answered.accepted", lang, code=code, title=escape(title),
                            lecturer=person(lecturer, lang), case=case_code or ""))]
    else:
        blocks = [section(t("requests.answered.declined", lang, code=code, title=escape(title),
                            lecturer=person(lecturer, lang)))]
        if reason:
            blocks.append(section(t("requests.answered.reason", lang, reason=_note(reason))))
    return blocks


def build_due(code: str, title: str, case_code: str | None, stage: str, due_on: date, lang: str,
              tz: ZoneInfo) -> list[dict]:
    """For the lecturer: the due date is a week or a day away, with a button to send the material."""
    return [section(t(f"requests.due.{stage}", lang, code=code, title=escape(title), case=case_code or "",
                      due=due_text(due_on, lang, tz))),
            actions(button(t("requests.due.upload", lang), ids.MATERIAL_UPLOAD_OPEN, case_code or "", style="primary"),
                    block_id=f"request_due_{code}")]


def build_review(code: str, title: str, case_code: str, lecturer: str, version: int, material_id: int,
                 lang: str) -> list[dict]:
    """For the secretariat: material arrived on a requested case; approve it, or return it."""
    value = f"{code}:M{material_id}"
    return [section(t("requests.review.body", lang, code=code, title=escape(title), case=case_code,
                      lecturer=person(lecturer, lang), version=version)),
            context(t("requests.review.hint", lang)),
            actions(button(t("requests.review.approve", lang), ids.REQUEST_APPROVE, value, style="primary"),
                    button(t("requests.review.return", lang), ids.REQUEST_RETURN, value),
                    block_id=f"request_review_{code}_M{material_id}")]


def build_reviewed(code: str, title: str, case_code: str, version: int, approved: bool, note: str,
                   lang: str) -> list[dict]:
    """For the lecturer: their material was approved, or returned with the secretariat's note."""
    if approved:
        return [section(t("requests.reviewed.approved", lang, code=code, title=escape(title), case=case_code,
                          version=version))]
    return [section(t("requests.reviewed.returned", lang, code=code, title=escape(title), case=case_code,
                      version=version)),
            section(t("requests.reviewed.note", lang, note=_note(note))),
            actions(button(t("requests.due.upload", lang), ids.MATERIAL_UPLOAD_OPEN, case_code, style="primary"),
                    block_id=f"request_returned_{code}")]


def build_withdrawn(code: str, title: str, lang: str) -> list[dict]:
    return [section(t("requests.withdrawn_dm", lang, code=code, title=escape(title)))]


MAX_TO_ANSWER = 3  # requests a lecturer can answer from their Home tab, with their buttons


def lecturer_request_blocks(lines: list[RequestLine], lang: str, tz: ZoneInfo) -> list[dict]:
    """A lecturer's Home tab: the requests addressed to them by state; those still to answer with
    引き受ける / 辞退する."""
    blocks = request_lines_blocks(lines, lang, tz, hint="requests.home.lecturer_hint",
                                  heading="requests.home.lecturer_heading")
    for line in [line for line in lines if line.status == "asked"][:MAX_TO_ANSWER]:
        blocks.append(actions(button(t("requests.home.accept", lang, code=line.code), ids.REQUEST_ACCEPT, line.code,
                                     style="primary"),
                              button(t("requests.dm.decline", lang), ids.REQUEST_DECLINE, line.code),
                              block_id=f"home_request_{line.code}"))
    return blocks


def request_lines_blocks(lines: list[RequestLine], lang: str, tz: ZoneInfo, *, hint: str = "requests.home.hint",
                         heading: str = "requests.home.heading") -> list[dict]:
    """The secretariat's Home tab: requests by state (依頼中, 引受済み, 資料提出済み, 承認済み, 辞退…)."""
    blocks = [section(t(heading, lang))]
    if not lines:
        return blocks + [context(t("requests.home.none", lang))]
    for state in STATES:
        mine = [line for line in lines if line.status == state]
        if not mine:
            continue
        rows = [t("requests.home.line", lang, code=line.code, title=escape(line.title),
                  theme=escape(theme_name(line.theme, lang)), lecturer=person(line.lecturer, lang),
                  due=due_text(line.due_on, lang, tz), case=line.case_code or "—")
                for line in mine[:MAX_PER_STATE]]
        shown, hidden = lines_within(rows, SECTION_BUDGET)
        hidden += len(mine) - len(rows)
        if hidden:
            shown.append(t("home_tab.more", lang, count=hidden))
        blocks.append(section(t("requests.home.state", lang, state=t(f"requests.state.{state}", lang),
                                count=len(mine)) + "\n" + "\n".join(shown)))
    blocks.append(context(t(hint, lang)))
    return blocks


def review_buttons(lines: list[RequestLine], lang: str) -> list[dict]:
    """On the secretariat's Home tab: 承認する / 差し戻す for material waiting (any admin may act, the
    service refuses its uploader), so a version is never stuck when the DM went to someone else."""
    waiting = [line for line in lines if line.status == "submitted" and line.material_id][:MAX_TO_ANSWER]
    return [actions(button(t("requests.home.approve", lang, code=line.code), ids.REQUEST_APPROVE,
                           f"{line.code}:M{line.material_id}", style="primary"),
                    button(t("requests.review.return", lang), ids.REQUEST_RETURN, f"{line.code}:M{line.material_id}"),
                    block_id=f"home_review_{line.code}") for line in waiting]
