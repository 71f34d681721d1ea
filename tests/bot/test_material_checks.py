"""The check of an uploaded file before it is stored (bot.materials.service.check_file): its
bounds are refusals the uploader can read, in their language."""

import pytest

from bot.core import anonymisation
from bot.core.i18n import t
from bot.materials import service as materials
from bot.core.refusal import Refusal
from tests.bot.test_documents import docx_with_member


async def refusal(data: bytes, filename: str, lang: str) -> str:
    with pytest.raises(Refusal) as refused:
        await materials.check_file(data, filename, lang)
    return t(refused.value.key, lang, **refused.value.params)


async def test_a_zip_bomb_is_refused_naming_the_bounds():
    bomb = docx_with_member("word/media/bomb.bin", 80 * 1024 * 1024)
    assert await refusal(bomb, "bomb.docx", "en") == (
        "“bomb.docx” is too large to check (8000000 characters, 2000 pages, a .docx 64 MB unpacked at most). "
        "Please split it.")
    assert "64MB" in await refusal(bomb, "bomb.docx", "ja")


async def test_text_beyond_the_checkers_bound_is_refused_not_checked_in_part(monkeypatch):
    monkeypatch.setattr(anonymisation, "MAX_CHECK_CHARS", 10)
    assert (await refusal(b"x" * 11, "case.txt", "en")).startswith("“case.txt” is too large to check (10 characters")


async def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(materials, "MAX_FILE_BYTES", 10)
    assert await refusal(b"x" * 11, "case.txt", "en") == "The file is too large (0 MB at most)."
