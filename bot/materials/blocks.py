"""Block Kit for materials: the participant's DM, upload findings, publication. Pure builders."""

from __future__ import annotations

from typing import Sequence
from zoneinfo import ZoneInfo

from bot import ids
from bot.checks.blocks import build_proposed_text, build_replacements, build_to_check
from bot.kit import (SECTION_TEXT_MAX, actions, button, context, escape, header, lines_within, link, mention, modal,
                     plain, section)
from bot.sessions.blocks import session_facts, session_title
from bot.core.i18n import t
from bot.core.timefmt import format_datetime
from bot.core.pseudonymisation import Proposal
from bot.core.bureaus import bureau_label
from config.reference import find_theme
from storage.models import Case, CaseSession, Material

MAX_FINDINGS_SHOWN = 20


def build_material_dm(item: CaseSession, case: Case, material: Material, lang: str, tz: ZoneInfo, *,
                      replaces: int | None = None) -> list[dict]:
    """The material for a participant; a new version says which one it replaces (`replaces`: the
    version this person was sent before)."""
    if replaces:
        top = [header(t("materials.dm_title_replacement", lang, version=material.version)),
               section(t("materials.replacement_note", lang, version=material.version, previous=replaces))]
    else:
        top = [header(t("materials.dm_title", lang))]
    blocks = [
        *top,
        section(f"*{item.code}　{session_title(item, case, lang)}*\n" + session_facts(item, case, lang, tz)),
        section(t("materials.preparation", lang)),
    ]
    if material.url:
        blocks.append(section(t("materials.link_line", lang, url=link(material.url))))
    else:
        blocks.append(context(t("materials.file_in_thread", lang)))
    blocks.append(actions(button(t("materials.read_button", lang), ids.MATERIAL_READ, item.code, style="primary"),
                          block_id=f"material_{item.code}"))
    blocks.append(context(t("materials.confidential", lang)))
    return blocks


def build_findings(case: Case, material: Material, findings: Sequence, lang: str, proposal: Proposal | None = None,
                   name_findings: Sequence = ()) -> list[dict]:
    """What the uploader sees: the findings (with the found text, which only they see) and a choice;
    with a proposal, the proposal as before → after and the choice to accept it or withdraw.
    Findings in the file's name come first, with the neutral name the file will be sent under."""
    count = len(findings) + len(name_findings)
    if not count:
        return [section(t("materials.clean", lang, code=case.code, version=material.version))]
    name_lines = [t("materials.filename_finding_line", lang, kind=t(f"anonymisation.kind.{f.kind}", lang),
                    text=escape(f.text), filename=escape(material.filename or ""))
                  for f in name_findings[:MAX_FINDINGS_SHOWN]]
    if proposal is not None and proposal.changed:
        return _proposal_blocks(case, material, proposal, lang, name_lines)
    lines = name_lines + [_finding_line(f, lang) for f in findings[:MAX_FINDINGS_SHOWN - len(name_lines)]]
    more = t("materials.more_findings", lang, count=count)  # the longest the note can be
    lines, _ = lines_within(lines, SECTION_TEXT_MAX - len(more) - 1)
    if count > len(lines):
        lines.append(t("materials.more_findings", lang, count=count - len(lines)))
    return [
        section(t("materials.findings_intro", lang, code=case.code, version=material.version, count=count)),
        section("\n".join(lines)),
        section(t("materials.findings_next", lang)),
        actions(_confirm_button(material, lang)),
    ]


def _finding_line(finding, lang: str) -> str:
    """Where it is (the line in the body; the part elsewhere: a header, a comment…), what, and the advice."""
    kind = t(f"anonymisation.kind.{finding.kind}", lang)
    if getattr(finding, "tier", "confident") != "confident":
        kind = t("anonymisation.cli.to_check", lang, kind=kind)  # 要確認: a weaker signal, for the uploader to judge
    params = {"kind": kind, "text": escape(finding.text), "suggestion": escape(finding.suggestion)}
    if finding.part != "body":
        return t("materials.finding_in_part_line", lang, part=t(f"anonymisation.part.{finding.part}", lang), **params)
    return t("materials.finding_line", lang, line=finding.line, **params)


def _confirm_button(material: Material, lang: str) -> dict:
    return button(t("materials.confirm_button", lang), ids.MATERIAL_CONFIRM, f"M{material.id}", style="danger",
                  confirm={"title": plain(t("materials.confirm_title", lang)),
                           "text": plain(t("materials.confirm_text", lang)),
                           "confirm": plain(t("materials.confirm_yes", lang)),
                           "deny": plain(t("common.cancel", lang))})


def _proposal_blocks(case: Case, material: Material, proposal: Proposal, lang: str,
                     name_lines: list[str]) -> list[dict]:
    value = f"M{material.id}"
    return [
        section(t("materials.proposal_intro", lang, code=case.code, version=material.version,
                  count=len(proposal.replacements))),
        *([section("\n".join(lines_within(name_lines, SECTION_TEXT_MAX)[0]))] if name_lines else []),
        section(build_replacements(proposal, lang)),
        *build_to_check(proposal, lang),
        *build_proposed_text(proposal, lang),
        section(t("materials.proposal_next", lang)),
        actions(button(t("materials.accept_proposal_button", lang), ids.MATERIAL_ACCEPT_PROPOSAL, value,
                       style="primary"),
                button(t("materials.withdraw_button", lang), ids.MATERIAL_WITHDRAW, value),
                _confirm_button(material, lang)),
    ]


def build_link_added(case: Case, material: Material, lang: str) -> list[dict]:
    """A link is not released until its uploader confirms that the linked file was checked."""
    return [section(t("materials.link_added", lang, code=case.code, version=material.version)),
            actions(button(t("materials.link_check_button", lang), ids.MATERIAL_LINK_CHECK_OPEN, f"M{material.id}",
                           style="primary"))]


def build_link_check_modal(material_id: int, url: str, lang: str) -> dict:
    return modal(ids.MATERIAL_LINK_CHECK_VIEW, t("materials.link_check_title", lang), [
            section(t("materials.link_check_intro", lang, url=link(url))),
            {"type": "input", "block_id": ids.MATERIAL_LINK_CHECK_BLOCK,
             "label": plain(t("materials.link_check_label", lang)),
             "element": {"type": "checkboxes", "action_id": ids.MATERIAL_LINK_CHECK_INPUT,
                         "options": [{"text": plain(t("materials.link_check_option", lang)[:75]), "value": "checked"}]}},
        ], submit=t("materials.link_check_submit", lang), close=t("common.cancel", lang),
            private_metadata=f"M{material_id}")


def build_publication(case: Case, document: Material | None, part: str, lang: str, *, early: bool = False) -> list[dict]:
    if part == "commentary":
        key = "materials.portal_commentary"
    else:
        key = "materials.portal_intro_early" if early else "materials.portal_intro"
    blocks = [section(t(key, lang, code=case.code, title=escape(case.title)))]
    if part != "commentary":  # the case itself: its theme by name, and its summary when it has one
        theme = find_theme(case.theme)
        facts = [t("materials.portal_theme", lang, theme=theme.name(lang) if theme else "—")]
        if case.summary:
            facts.append(t("materials.portal_summary", lang, summary=escape(case.summary)))
        blocks.append(section("\n".join(facts)))
    if document is not None and document.url:
        blocks.append(section(t("materials.link_line", lang, url=link(document.url))))
    blocks.append(context(t("materials.portal_footer", lang)))
    return blocks


def bureau_names(codes: list[str], lang: str) -> str:
    return ("、" if lang == "ja" else ", ").join(bureau_label(code, lang) for code in codes) or "—"


def _publish_early_button(code: str, count: int, lang: str) -> dict:
    return button(t("materials.publish_early_button", lang), ids.PUBLISH_EARLY, code, style="danger",
                  confirm={"title": plain(t("materials.publish_early_title", lang)),
                           "text": plain(t("materials.publish_early_text", lang, code=code, count=count)),
                           "confirm": plain(t("materials.publish_early_yes", lang)),
                           "deny": plain(t("common.cancel", lang))})


def stalled_names(check, lang: str) -> str:
    """The bureaus that can no longer hold the case, each with why (names, never codes)."""
    return ("、" if lang == "ja" else ", ").join(
        t("materials.incomplete.bureau_reason", lang, bureau=bureau_label(code, lang),
          reason=t(f"materials.incomplete.reason.{reason}", lang))
        for code, reason in check.stalled.items())


def build_material_due(case: Case, item: CaseSession, stage: str, lang: str, tz: ZoneInfo) -> list[dict]:
    """For the lecturer (or a self-run session's proposer): the material is due and not here yet."""
    when = format_datetime(item.release_at, lang, tz)
    return [
        section(t(f"materials.due.lecturer_{stage}", lang, code=case.code, title=escape(case.title), when=when,
                  session=item.code)),
        section(t("materials.due.how", lang)),
        actions(button(t("materials.due.upload_button", lang), ids.MATERIAL_UPLOAD_OPEN, case.code, style="primary")),
        context(t("materials.due.command", lang, code=case.code)),
    ]


def build_material_missing(case: Case, item: CaseSession, stage: str, lang: str, tz: ZoneInfo) -> list[dict]:
    """For the secretariat: a case's material is missing a week before its release, or after it."""
    lecturer = mention(case.lecturer_user_id) if case.lecturer_user_id else t("materials.due.no_lecturer", lang)
    return [section(t(f"materials.due.secretariat_{'late' if stage == 'late' else 'week'}", lang, code=case.code,
                      title=escape(case.title), when=format_datetime(item.release_at, lang, tz), session=item.code,
                      lecturer=lecturer))]


def build_published_notice(case: Case, early: bool, to_go: list[str], by: str | None, lang: str) -> list[dict]:
    """For the secretariat: a case went to the portal (by itself, or by an admin's choice before
    every bureau had held it)."""
    if early:
        line = t("materials.published_notice.early", lang, code=case.code, title=escape(case.title),
                 by=mention(by) if by else "—", names=bureau_names(to_go, lang))
    else:
        line = t("materials.published_notice.complete", lang, code=case.code, title=escape(case.title))
    return [section(line), context(t("materials.published_notice.portal", lang))]


def build_incomplete(check, lang: str) -> list[dict]:
    """For the secretariat: a case that can no longer reach all eight bureaus, the bureaus missing
    and why, and what they can do (hold it again, or publish it as it is)."""
    case = check.case
    total = len(check.done) + len(check.to_go)
    example = bureau_label(next(iter(check.stalled)), lang)
    return [
        section(t("materials.incomplete.intro", lang, code=case.code, title=escape(case.title), done=len(check.done),
                  total=total)),
        section(t("materials.incomplete.missing", lang, names=stalled_names(check, lang))),
        section(t("materials.incomplete.hold_again", lang, code=case.code, bureau=example) + "\n"
                + t("materials.incomplete.publish_anyway", lang, code=case.code)),
        actions(_publish_early_button(case.code, len(check.to_go), lang)),
    ]


def build_publication_standing(check, lang: str) -> list[dict]:
    """`admin publish` before every bureau has held the case: who has, who has not, and the
    explicit way to publish now (a confirm step)."""
    code = check.case.code
    return [
        section(t("materials.not_ready", lang, code=code)),
        section(t("materials.bureaus_done", lang, count=len(check.done), names=bureau_names(check.done, lang)) + "\n"
                + t("materials.bureaus_to_go", lang, count=len(check.to_go), names=bureau_names(check.to_go, lang))),
        actions(_publish_early_button(code, len(check.to_go), lang)),
        context(t("materials.publish_early_hint", lang, code=code)),
    ]


def build_upload_modal(lang: str, case_codes: list[str]) -> dict:
    options = [{"text": plain(code), "value": code} for code in case_codes[:100]] or [{"text": plain("—"), "value": "none"}]
    return modal(ids.MATERIAL_UPLOAD_VIEW, t("materials.modal_title", lang), [
            section(t("materials.modal_intro", lang)),
            {"type": "input", "block_id": ids.MATERIAL_CASE_BLOCK, "label": plain(t("materials.modal_case", lang)),
             "element": {"type": "static_select", "action_id": ids.MATERIAL_CASE_INPUT, "options": options,
                         "initial_option": options[0]}},
            {"type": "input", "block_id": ids.MATERIAL_KIND_BLOCK, "label": plain(t("materials.modal_kind", lang)),
             "element": {"type": "static_select", "action_id": ids.MATERIAL_KIND_INPUT,
                         "initial_option": {"text": plain(t("materials.kind.material", lang)), "value": "material"},
                         "options": [{"text": plain(t("materials.kind.material", lang)), "value": "material"},
                                     {"text": plain(t("materials.kind.commentary", lang)), "value": "commentary"}]}},
            {"type": "input", "block_id": ids.MATERIAL_FILE_BLOCK, "label": plain(t("materials.modal_file", lang)),
             "element": {"type": "file_input", "action_id": ids.MATERIAL_FILE_INPUT,
                         "filetypes": ["pdf", "docx", "txt"], "max_files": 1}},
        ], submit=t("common.submit", lang), close=t("common.cancel", lang))
