"""Locale catalogs: every user-facing string lives in config/locales/<lang>/*.yaml.

Each file holds flat or nested keys; nested keys are joined with dots, so
``survey: {report: {title: ...}}`` is ``survey.report.title``. All files of a
language are merged; a key defined twice is an error, caught by the catalog test.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).resolve().parents[2] / "config" / "locales"
LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"


class CatalogError(RuntimeError):
    pass


def _flatten(prefix: str, node: Any, out: dict[str, str], source: Path) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out, source)
        return
    if prefix in out:
        raise CatalogError(f"duplicate catalog key {prefix!r} in {source.name}")
    out[prefix] = str(node)


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    directory = LOCALES_DIR / lang
    if not directory.is_dir():
        raise CatalogError(f"no catalog for language {lang!r}")
    merged: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _flatten("", data, merged, path)
    return merged


def normalise_lang(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Translate ``key`` into ``lang`` (Japanese by default), formatting ``params``.

    A key missing in the chosen language falls back to Japanese; a key missing
    everywhere raises, so a typo fails loudly in tests instead of showing a key.
    """
    lang = normalise_lang(lang)
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE).get(key)
    if text is None:
        raise CatalogError(f"missing catalog key {key!r}")
    return text.format(**params) if params else text
