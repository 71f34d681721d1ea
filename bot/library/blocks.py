"""The case library's Block Kit: search results, the case sent on 開く / Open, the share offer and
its check. Pure: plain values in, blocks out."""

from __future__ import annotations

from bot import ids
from bot.checks.blocks import build_proposed_text, build_replacements, build_to_check
from bot.core.i18n import t
from bot.core.pseudonymisation import Proposal
from bot.kit import SECTION_TEXT_MAX, actions, button, context, escape, fields, fit, header, link, section
from bot.library.results import SearchResult, Shelf
from config.reference import bureaus, themes
from storage.models import LibraryEntry

SUMMARY_SHOWN = 280  # characters of a summary under each result
REIWA_OFFSET = 2018  # 令和N's fiscal year begins in April of 2018 + N


def theme_name(code: str, lang: str) -> str:
    found = next((th for th in themes() if th.code == code), None)
    return found.name(lang) if found else code


def bureau_name(code: str, lang: str) -> str:
    found = next((b for b in bureaus() if b.code == code), None)
    return found.name(lang) if found else code


def fiscal_year_label(year: int | None, lang: str) -> str:
    if year is None:
        return t("library.year_unknown", lang)
    return t("library.year", lang, year=year, reiwa=year - REIWA_OFFSET)


def where_held(entry: LibraryEntry, lang: str) -> str:
    if entry.source == "self_run":
        return t("library.self_run", lang)
    return t("library.bureaus_held", lang, count=entry.bureaus_held, total=len(bureaus()))


def _facts(entry: LibraryEntry, lang: str) -> str:
    return t("library.facts", lang, theme=escape(theme_name(entry.theme, lang)),
             year=fiscal_year_label(entry.fiscal_year, lang), held=where_held(entry, lang))


def _search_line(result: SearchResult, lang: str) -> str:
    search = result.search
    parts = []
    if search.words:
        parts.append(t("library.query.words", lang, words=escape(" ".join(search.words))))
    if search.theme:
        parts.append(t("library.query.theme", lang, theme=escape(theme_name(search.theme, lang))))
    if search.bureau:
        parts.append(t("library.query.bureau", lang, bureau=escape(bureau_name(search.bureau, lang))))
    if search.fiscal_year:
        parts.append(t("library.query.year", lang, year=fiscal_year_label(search.fiscal_year, lang)))
    return ("　" if lang == "ja" else "  ").join(parts) if parts else t("library.query.everything", lang)


def build_results(result: SearchResult, lang: str) -> list[dict]:
    """Up to ten cases, each with its theme, the fiscal year it was held and at how many bureaus,
    and an 開く / Open button."""
    blocks = [header(t("library.title", lang)), context(_search_line(result, lang))]
    if not result.entries:
        blocks.append(section(t("library.none" if not result.search.empty else "library.empty", lang)))
        blocks.append(context(t("library.hint", lang)))
        return blocks
    for entry in result.entries:
        title, _ = fit(entry.title, 200)
        blocks.append(section(f"*{entry.code}　{escape(title)}*\n{_facts(entry, lang)}",
                              accessory=button(t("library.open_button", lang), ids.LIBRARY_OPEN, entry.code)))
        if entry.summary:
            shown, cut = fit(entry.summary, SUMMARY_SHOWN)
            blocks.append(context(escape(shown) + ("…" if cut else "")))
    if result.more:
        blocks.append(context(t("library.more", lang, count=len(result.entries))))
    blocks.append(context(t("library.open_note", lang)))
    return blocks


def build_needs_pledge(entry: LibraryEntry, lang: str) -> list[dict]:
    """Opening a case without the pledge: what it is, and the pledge flow's own button."""
    return [section(t("library.needs_pledge", lang, code=entry.code)),
            actions(button(t("pledge.accept_button", lang), ids.ACCEPT_PLEDGE, style="primary")),
            context(t("pledge.accept_hint", lang))]


def build_case_dm(entry: LibraryEntry, part: str, lang: str, *, has_file: bool, file_gone: bool,
                  link_url: str | None = None) -> list[dict]:
    """The case (part "material"), its commentary ("commentary") or a study group's shared text
    ("shared"), sent to one person who gave the pledge."""
    title, _ = fit(entry.title, 140)
    blocks = [header(t(f"library.dm.title_{part}", lang, code=entry.code, title=title)),
              fields([(t("library.field.theme", lang), escape(theme_name(entry.theme, lang))),
                      (t("library.field.year", lang), fiscal_year_label(entry.fiscal_year, lang)),
                      (t("library.field.held", lang), where_held(entry, lang))])]
    if part == "material" and entry.summary:
        shown, _ = fit(entry.summary, SECTION_TEXT_MAX)
        blocks.append(section(escape(shown)))
    if has_file:
        blocks.append(context(t("library.dm.file_in_thread", lang)))
    elif link_url:
        blocks.append(section(t("library.dm.link", lang, link=link(link_url))))
    if part in ("commentary", "shared") and not has_file and not link_url:
        body = entry.commentary_text or ""
        if body.strip():
            shown, cut = fit(body, SECTION_TEXT_MAX)
            blocks.append(section(escape(shown)))
            if cut:
                blocks.append(context(t("library.dm.cut", lang)))
        else:
            blocks.append(section(t("library.dm.no_text", lang)))
    if file_gone:
        blocks.append(context(t("library.dm.file_gone", lang)))
    blocks.append(context(t("materials.confidential", lang)))
    return blocks


def build_share_offer(session_code: str, title: str, lang: str) -> list[dict]:
    shown, _ = fit(title, 200)
    return [section(t("library.share.offer", lang, code=session_code, title=escape(shown))),
            actions(button(t("library.share.button", lang), ids.LIBRARY_SHARE, session_code, style="primary")),
            context(t("library.share.offer_note", lang))]


def build_share_findings(session_code: str, proposal: Proposal, lang: str) -> list[dict]:
    """The check found something: what, the proposed text, and a button to share that instead."""
    count = len(proposal.replacements)
    blocks = [section(t("library.share.findings", lang, code=session_code, count=count)),
              section(build_replacements(proposal, lang))]
    blocks += build_to_check(proposal, lang)
    blocks += build_proposed_text(proposal, lang)
    blocks.append(actions(button(t("library.share.accept_button", lang), ids.LIBRARY_SHARE_ACCEPT, session_code,
                                 style="primary")))
    blocks.append(context(t("library.share.findings_note", lang)))
    return blocks


def build_home_section(shelf: Shelf, lang: str) -> list[dict]:
    """あなたのテーマの事例 / Cases in your themes, on the Home tab."""
    chosen_themes, entries = shelf.themes, shelf.entries
    blocks = [section("*" + t("library.home.title", lang) + "*")]
    if not chosen_themes:
        return blocks + [context(t("library.home.no_themes", lang))]
    if not entries:
        names = "、".join(theme_name(code, lang) for code in chosen_themes) if lang == "ja" else \
            ", ".join(theme_name(code, lang) for code in chosen_themes)
        return blocks + [context(t("library.home.none", lang, themes=escape(names)))]
    for entry in entries:
        title, _ = fit(entry.title, 200)
        blocks.append(section(f"*{entry.code}　{escape(title)}*\n{_facts(entry, lang)}",
                              accessory=button(t("library.open_button", lang), ids.LIBRARY_OPEN, entry.code)))
    blocks.append(context(t("library.home.more", lang)))
    return blocks
