"""The case library's value types (plain; no Slack, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.pseudonymisation import Proposal
from storage.models import LibraryEntry


@dataclass(frozen=True)
class LibrarySearch:
    """What `/jirei cases` was asked: words as typed, and filters as codes."""

    words: tuple[str, ...] = ()
    theme: str | None = None
    bureau: str | None = None
    fiscal_year: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.words or self.theme or self.bureau or self.fiscal_year)


@dataclass
class SearchResult:
    search: LibrarySearch
    entries: list[LibraryEntry]
    more: bool  # more entries matched than are shown


@dataclass
class Shelf:
    """The Home tab's あなたのテーマの事例: the person's profile themes and the newest cases in them."""

    themes: list[str]
    entries: list[LibraryEntry]


@dataclass
class OpenResult:
    """The case asked for; `needs_pledge`: nothing was sent, the person is asked to pledge first."""

    entry: LibraryEntry
    needs_pledge: bool = False
    queued: int = 0


@dataclass
class IndexDraft:
    """What the library job read for one case, before the commentary's text is extracted (off the
    loop, with no transaction open)."""

    case_id: int
    source: str
    title: str
    theme: str
    summary: str | None
    fiscal_year: int | None
    bureaus: list[str] = field(default_factory=list)
    study_group_id: int | None = None
    commentary_id: int | None = None
    commentary: bytes | None = None  # the decrypted file, to extract
    commentary_name: str = ""
    commentary_mimetype: str | None = None
    kept_text: str | None = None  # the text already indexed (a shared case's, or a file since deleted)


@dataclass
class ShareDraft:
    """A self-run session's case its group may share: the texts to check (title, material, commentary)."""

    session_code: str
    case_id: int
    title: str
    files: list[tuple[bytes, str, str | None]] = field(default_factory=list)  # data, name, mimetype


@dataclass
class ShareCheck:
    """The shared text as checked: clean, or findings with the proposed anonymised text."""

    text: str
    proposal: Proposal | None = None  # None: nothing found

    @property
    def clean(self) -> bool:
        return self.proposal is None
