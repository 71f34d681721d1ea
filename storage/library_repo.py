"""The case library's repository: its entries and their full-text index, on both backends.

SQLite: the FTS5 table `library_fts` (trigram tokenizer), one row per entry under the entry's case id
as rowid, written here beside the entry. PostgreSQL: a GIN index of trigrams (pg_trgm) on
`library_entries.search_text`, which the database keeps itself. A word of three characters or more
is found through the index (FTS5 MATCH of the phrase; LIKE, which pg_trgm's index serves); a trigram
index has nothing to offer a one- or two-character word, which is looked for with LIKE on the same
text (at a few thousand entries a scan of their text is still quick). The text and the words come in
normalised (storage/… never lower-cases or folds: bot/library/service.py does, once, for both).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from sqlalchemy import delete, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.models import Case, CaseSession, LibraryEntry
from storage.repositories import Repository

TRIGRAM = 3  # a trigram index can serve words of at least this many characters


@dataclass(frozen=True)
class LibraryQuery:
    """Words (each must occur) and filters; all optional. `bureau` is a bureau code."""

    words: Sequence[str] = ()
    theme: str | None = None
    bureau: str | None = None
    fiscal_year: int | None = None


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _phrase(word: str) -> str:
    """An FTS5 string: the word as one phrase (a substring, with the trigram tokenizer)."""
    return '"' + word.replace('"', '""') + '"'


class Library(Repository[LibraryEntry]):
    async def get(self, case_id: int) -> LibraryEntry | None:
        return await self.session.get(LibraryEntry, case_id)

    async def put(self, entry: LibraryEntry) -> LibraryEntry:
        """Add or replace an entry and its row in the index, in the caller's transaction. One
        INSERT … ON CONFLICT DO UPDATE, so two processes indexing the same case at once both succeed."""
        values = {column.key: getattr(entry, column.key) for column in LibraryEntry.__table__.columns}
        insert = postgresql_insert if self.on_postgresql else sqlite_insert
        statement = insert(LibraryEntry).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[LibraryEntry.case_id],
            set_={key: statement.excluded[key] for key in values if key != "case_id"})
        await self.session.execute(statement)
        entry = await self.session.get(LibraryEntry, entry.case_id, populate_existing=True)
        if not self.on_postgresql:
            await self.session.execute(text("DELETE FROM library_fts WHERE rowid = :id"), {"id": entry.case_id})
            await self.session.execute(text("INSERT INTO library_fts (rowid, search_text) VALUES (:id, :text)"),
                                       {"id": entry.case_id, "text": entry.search_text})
        return entry

    async def remove(self, case_id: int) -> None:
        if not self.on_postgresql:
            await self.session.execute(text("DELETE FROM library_fts WHERE rowid = :id"), {"id": case_id})
        await self.session.execute(delete(LibraryEntry).where(LibraryEntry.case_id == case_id))

    async def mark_stale(self, case_id: int) -> None:
        """The case or its commentary changed: the library job indexes it again (no-op if not in it)."""
        await self.session.execute(update(LibraryEntry).where(LibraryEntry.case_id == case_id).values(stale=True))

    async def search(self, query: LibraryQuery, limit: int) -> list[LibraryEntry]:
        """Entries holding every word, within the filters, newest first; at most `limit`."""
        conditions = []
        long_words = [w for w in query.words if len(w) >= TRIGRAM]
        short_words = [w for w in query.words if len(w) < TRIGRAM]
        if not self.on_postgresql and long_words:
            matching = (select(literal_column("rowid")).select_from(text("library_fts"))
                        .where(literal_column("library_fts").op("MATCH")(" AND ".join(map(_phrase, long_words)))))
            conditions.append(LibraryEntry.case_id.in_(matching))
        else:
            short_words = list(query.words)
        conditions += [LibraryEntry.search_text.like(_like(w), escape="\\") for w in short_words]
        if query.theme:
            conditions.append(LibraryEntry.theme == query.theme)
        if query.fiscal_year:
            conditions.append(LibraryEntry.fiscal_year == query.fiscal_year)
        if query.bureau:
            conditions.append(LibraryEntry.bureau_codes.like(_like(f",{query.bureau},"), escape="\\"))
        statement = (select(LibraryEntry).where(*conditions)
                     .order_by(LibraryEntry.published_at.desc(), LibraryEntry.case_id.desc()).limit(limit))
        return list(await self.session.scalars(statement))

    async def in_themes(self, themes: Iterable[str], limit: int) -> list[LibraryEntry]:
        codes = sorted(set(themes))
        if not codes:
            return []
        statement = (select(LibraryEntry).where(LibraryEntry.theme.in_(codes))
                     .order_by(LibraryEntry.published_at.desc(), LibraryEntry.case_id.desc()).limit(limit))
        return list(await self.session.scalars(statement))

    async def cases_to_index(self, limit: int) -> list[int]:
        """Published cases not yet in the library, and entries marked stale; oldest first."""
        missing = (select(Case.id).outerjoin(LibraryEntry, LibraryEntry.case_id == Case.id)
                   .where(Case.published_at.is_not(None), LibraryEntry.case_id.is_(None))
                   .order_by(Case.id).limit(limit))
        ids = list(await self.session.scalars(missing))
        if len(ids) < limit:
            stale = (select(LibraryEntry.case_id).where(LibraryEntry.stale.is_(True))
                     .order_by(LibraryEntry.case_id).limit(limit - len(ids)))
            ids += list(await self.session.scalars(stale))
        return ids

    async def shared_case_of_session(self, session_id: int) -> LibraryEntry | None:
        statement = (select(LibraryEntry).join(CaseSession, CaseSession.case_id == LibraryEntry.case_id)
                     .where(CaseSession.id == session_id, LibraryEntry.source == "self_run"))
        return await self.session.scalar(statement)

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(LibraryEntry)) or 0)
