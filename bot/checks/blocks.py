"""Block Kit for `/jirei check`: the modal, the "checking" view and the answer. Pure builders.

The answer shows the asker what was found and the proposed anonymised text as a before/after list
(each replaced piece and what stands in its place) followed by the whole proposal."""

from __future__ import annotations

from bot import ids
from bot.kit import SECTION_TEXT_MAX, code_block, context, escape, lines_within, modal, plain, section
from bot.core.i18n import t
from bot.core.pseudonymisation import Proposal

MAX_REPLACEMENTS_SHOWN = 30
PASTE_MAX_CHARS = 3000  # Slack's limit for a plain_text_input


def build_check_modal(lang: str) -> dict:
    return modal(ids.CHECK_VIEW, t("checks.modal_title", lang), [
            section(t("checks.modal_intro", lang)),
            {"type": "input", "block_id": ids.CHECK_TEXT_BLOCK, "optional": True,
             "label": plain(t("checks.text_label", lang)),
             "element": {"type": "plain_text_input", "action_id": ids.CHECK_TEXT_INPUT, "multiline": True,
                         "max_length": PASTE_MAX_CHARS}},
            {"type": "input", "block_id": ids.CHECK_FILE_BLOCK, "optional": True,
             "label": plain(t("checks.file_label", lang)),
             "element": {"type": "file_input", "action_id": ids.CHECK_FILE_INPUT,
                         "filetypes": ["pdf", "docx", "txt"], "max_files": 1}},
            context(t("checks.nothing_kept", lang)),
        ], submit=t("checks.submit", lang), close=t("common.cancel", lang))


def _result_view(lang: str, blocks: list[dict]) -> dict:
    return modal(ids.CHECK_RESULT_VIEW, t("checks.modal_title", lang), blocks, close=t("common.close", lang))


def build_checking_view(lang: str) -> dict:
    return _result_view(lang, [section(t("checks.checking", lang))])


def build_refusal_view(lang: str, key: str, **params: object) -> dict:
    return _result_view(lang, [section(t(key, lang, **params))])


def build_replacements(proposal: Proposal, lang: str) -> str:
    """One line per replaced piece: where (the line in the body, else the part: a header, a
    comment, the properties…), kind, 「before」→「after」; whole lines only, as many as fit in one
    section, then how many more there are."""
    lines = [_replacement_line(r, lang) for r in proposal.replacements[:MAX_REPLACEMENTS_SHOWN]]
    more = t("checks.more_replacements", lang, count=len(proposal.replacements))  # the longest it can be
    kept, _ = lines_within(lines, SECTION_TEXT_MAX - len(more) - 1)
    hidden = len(proposal.replacements) - len(kept)
    if hidden:
        kept.append(t("checks.more_replacements", lang, count=hidden))
    return "\n".join(kept)


def _replacement_line(replacement, lang: str) -> str:
    params = {"kind": t(f"anonymisation.kind.{replacement.kind}", lang), "before": escape(replacement.original),
              "after": escape(replacement.placeholder)}
    if replacement.part != "body":
        return t("checks.replacement_in_part_line", lang, part=t(f"anonymisation.part.{replacement.part}", lang),
                 **params)
    return t("checks.replacement_line", lang, line=replacement.line, **params)


def build_to_check(proposal: Proposal, lang: str) -> list[dict]:
    """The 要確認 (please check) findings, shown apart: a weaker signal, left unchanged in the
    proposal; each with the placeholder it would get, for the person to decide."""
    if not proposal.to_check:
        return []
    lines = [_replacement_line(r, lang) for r in proposal.to_check[:MAX_REPLACEMENTS_SHOWN]]
    more = t("checks.more_replacements", lang, count=len(proposal.to_check))
    kept, _ = lines_within(lines, SECTION_TEXT_MAX - len(more) - 1)
    if len(proposal.to_check) > len(kept):
        kept.append(t("checks.more_replacements", lang, count=len(proposal.to_check) - len(kept)))
    return [section(t("checks.to_check_intro", lang, count=len(proposal.to_check))), section("\n".join(kept))]


def build_proposed_text(proposal: Proposal, lang: str) -> list[dict]:
    """The whole proposal in a code block; a long one is cut in its source (never after escaping,
    so no entity is split and the fence stays closed), and a note says so."""
    shown, cut = code_block(proposal.text, SECTION_TEXT_MAX)
    blocks = [section(t("checks.proposal_intro", lang)), section(shown)]
    if cut:
        blocks.append(context(t("checks.proposal_cut", lang)))
    return blocks


def build_check_result(proposal: Proposal, lang: str, *, layout_lost: bool = False) -> dict:
    if not proposal.changed and not proposal.to_check:
        return _result_view(lang, [section(t("checks.clean", lang)), context(t("checks.nothing_kept", lang))])
    blocks = []
    if proposal.changed:
        blocks += [section(t("checks.found", lang, count=len(proposal.replacements))),
                   section(build_replacements(proposal, lang))]
    blocks += build_to_check(proposal, lang)
    blocks += build_proposed_text(proposal, lang)
    if layout_lost:
        blocks.append(context(t("anonymisation.cli.layout_lost", lang)))
    blocks.append(context(t("checks.nothing_kept", lang)))
    return _result_view(lang, blocks)


def build_guard_note(kinds: tuple[str, ...], proposal: Proposal, permalink: str | None, lang: str) -> list[dict]:
    """The poster's ephemeral note: what was found, the proposed rewrite, and how to delete the
    message (Slack lets no app delete or edit a person's message)."""
    separator = "、" if lang == "ja" else ", "
    names = separator.join(t(f"anonymisation.kind.{kind}", lang) for kind in kinds)
    to_check = separator.join(t(f"anonymisation.kind.{kind}", lang)
                              for kind in dict.fromkeys(r.kind for r in proposal.to_check))
    blocks = [section(t("guard.found", lang, kinds=names))] if kinds else []
    if to_check:
        blocks.append(section(t("guard.to_check", lang, kinds=to_check)))
    blocks += [*build_proposed_text(proposal, lang), section(t("guard.how_to_delete", lang))]
    if permalink:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": plain(t("guard.open_message", lang)), "action_id": ids.GUARD_OPEN_MESSAGE,
             "url": permalink}]})
    blocks.append(context(t("guard.nothing_kept", lang)))
    return blocks
