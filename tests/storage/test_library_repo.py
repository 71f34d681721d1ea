"""The case library's repository on SQLite (FTS5, trigram) and PostgreSQL (pg_trgm, GIN): words of
every length, filters, replacement keeping the index in step, what is still to index."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from storage.library_repo import LibraryQuery
from storage.models import Case, LibraryEntry

NOW = datetime(2027, 6, 1, 3, 0, tzinfo=timezone.utc)


async def _case(uow, title: str, theme: str, *, published: bool = True) -> Case:
    return await uow.cases.add(Case(title=title, theme=theme, created_by="UADMIN", created_at=NOW,
                                    published_at=NOW if published else None))


def _entry(case: Case, search_text: str, *, year: int = 2027, bureaus: tuple[str, ...] = ("tokyo",),
           days: int = 0) -> LibraryEntry:
    return LibraryEntry(case_id=case.id, source="official", title=case.title, theme=case.theme, summary=None,
                        commentary_text=search_text, fiscal_year=year, bureaus_held=len(bureaus),
                        bureau_codes="," + ",".join(bureaus) + ",", search_text=search_text,
                        published_at=NOW + timedelta(days=days), stale=False, indexed_at=NOW)


async def _codes(uow_factory, query: LibraryQuery, limit: int = 10) -> list[str]:
    async with uow_factory() as uow:
        return [e.code for e in await uow.library.search(query, limit)]


async def test_words_of_any_length_and_filters_find_their_entries(uow_factory):
    async with uow_factory() as uow:
        a = await _case(uow, "技能実習生の転籍", "labour")
        b = await _case(uow, "医療通訳の確保", "medical")
        c = await _case(uow, "在留資格の更新", "immigration")
        await uow.library.put(_entry(a, "技能実習生の転籍 監理団体との調整 technical intern", bureaus=("tokyo", "osaka")))
        await uow.library.put(_entry(b, "医療通訳の確保 病院 未払い medical interpreter", year=2028, days=1))
        await uow.library.put(_entry(c, "在留資格の更新 入管 visa renewal", bureaus=("osaka",), days=2))
    assert await _codes(uow_factory, LibraryQuery(words=("監理団体",))) == [a.code]
    assert await _codes(uow_factory, LibraryQuery(words=("病院",))) == [b.code]  # two characters: LIKE
    assert await _codes(uow_factory, LibraryQuery(words=("管",))) == [c.code]  # one character: 入管 (監理 is not 管理)
    assert await _codes(uow_factory, LibraryQuery(words=("interpreter", "医療"))) == [b.code]
    assert await _codes(uow_factory, LibraryQuery(words=("interpreter", "visa"))) == []
    assert await _codes(uow_factory, LibraryQuery(theme="immigration")) == [c.code]
    assert await _codes(uow_factory, LibraryQuery(fiscal_year=2028)) == [b.code]
    assert await _codes(uow_factory, LibraryQuery(bureau="osaka")) == [c.code, a.code]
    assert await _codes(uow_factory, LibraryQuery(bureau="osak")) == []  # a code, not part of one
    assert await _codes(uow_factory, LibraryQuery()) == [c.code, b.code, a.code]
    assert await _codes(uow_factory, LibraryQuery(), limit=2) == [c.code, b.code]


async def test_characters_that_mean_something_to_the_query_languages_are_plain_text(uow_factory):
    async with uow_factory() as uow:
        a = await _case(uow, "100%の支援", "other")
        await uow.library.put(_entry(a, '100%の支援 "quoted" a_b (x) and or not *'))
        b = await _case(uow, "別", "other")
        await uow.library.put(_entry(b, "1000の支援 ab"))
    for word in ("100%", '"quoted"', "a_b", "(x)", "and", "or not", "*", '"'):
        assert await _codes(uow_factory, LibraryQuery(words=(word,))) == [a.code], word
    assert await _codes(uow_factory, LibraryQuery(words=("%",))) == [a.code]
    assert await _codes(uow_factory, LibraryQuery(words=("_",))) == [a.code]


async def test_a_replaced_entry_is_found_by_its_new_text_only(uow_factory):
    async with uow_factory() as uow:
        a = await _case(uow, "旧題", "other")
        await uow.library.put(_entry(a, "古い解説の文章"))
    async with uow_factory() as uow:
        await uow.library.put(_entry(a, "新しい解説の文章"))
    assert await _codes(uow_factory, LibraryQuery(words=("古い解説",))) == []
    assert await _codes(uow_factory, LibraryQuery(words=("新しい解説",))) == [a.code]
    async with uow_factory() as uow:
        await uow.library.remove(a.id)
    assert await _codes(uow_factory, LibraryQuery(words=("新しい解説",))) == []
    assert await _codes(uow_factory, LibraryQuery(words=("解",))) == []


async def test_published_cases_not_yet_indexed_and_stale_entries_are_to_index(uow_factory):
    async with uow_factory() as uow:
        indexed = await _case(uow, "済み", "other")
        waiting = await _case(uow, "公開済み・未索引", "other")
        await _case(uow, "未公開", "other", published=False)
        await uow.library.put(_entry(indexed, "済み"))
    async with uow_factory() as uow:
        assert await uow.library.cases_to_index(10) == [waiting.id]
        await uow.library.mark_stale(indexed.id)
    async with uow_factory() as uow:
        assert await uow.library.cases_to_index(10) == [waiting.id, indexed.id]
        assert await uow.library.cases_to_index(1) == [waiting.id]


async def test_in_themes_lists_the_newest_of_those_themes(uow_factory):
    async with uow_factory() as uow:
        a = await _case(uow, "a", "labour")
        b = await _case(uow, "b", "medical")
        c = await _case(uow, "c", "labour")
        await uow.library.put(_entry(a, "a"))
        await uow.library.put(_entry(b, "b", days=1))
        await uow.library.put(_entry(c, "c", days=2))
        assert [e.code for e in await uow.library.in_themes(["labour"], 5)] == [c.code, a.code]
        assert [e.code for e in await uow.library.in_themes([], 5)] == []


async def test_the_index_is_the_one_each_backend_promises(uow_factory):
    async with uow_factory() as uow:
        if uow.session.bind.dialect.name == "sqlite":
            sql = await uow.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'library_fts'"))
            assert "fts5" in sql and "trigram" in sql
        else:
            definition = await uow.session.scalar(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_library_entries_search_trgm'"))
            assert "gin" in definition and "gin_trgm_ops" in definition


async def test_a_case_another_process_indexed_meanwhile_is_replaced_not_refused(uow_factory):
    """Two processes' library jobs may both find a case to index: the later write replaces the first."""
    async with uow_factory() as uow:
        case = await _case(uow, "同時", "other")
    async with uow_factory() as first, uow_factory() as second:
        await first.library.put(_entry(case, "一つ目の索引"))
        await first.commit()
        await second.library.put(_entry(case, "二つ目の索引"))
    assert await _codes(uow_factory, LibraryQuery(words=("二つ目の索引",))) == [case.code]
    assert await _codes(uow_factory, LibraryQuery(words=("一つ目の索引",))) == []
    async with uow_factory() as uow:
        assert await uow.library.count() == 1
