"""Reference data shipped as files: bureaus with their prefectures, and case themes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Bureau:
    code: str
    name_ja: str
    name_en: str
    prefectures: tuple[str, ...]

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja


@dataclass(frozen=True)
class Theme:
    code: str
    name_ja: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ja


def _load(name: str) -> dict:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def bureaus() -> tuple[Bureau, ...]:
    return tuple(
        Bureau(b["code"], b["name_ja"], b["name_en"], tuple(b["prefectures"]))
        for b in _load("bureaus.yaml")["bureaus"]
    )


@lru_cache(maxsize=1)
def themes() -> tuple[Theme, ...]:
    return tuple(Theme(t["code"], t["name_ja"], t["name_en"]) for t in _load("themes.yaml")["themes"])


@lru_cache(maxsize=1)
def prefectures() -> tuple[str, ...]:
    return tuple(p for b in bureaus() for p in b.prefectures)


def _strip_suffix(name: str) -> str:
    # 東京都 / 大阪府 / 京都府 / 愛知県 are also written without the suffix; 北海道 keeps its 道.
    for suffix in ("都", "府", "県"):
        if name.endswith(suffix) and len(name) > 2:
            return name[: -len(suffix)]
    return name


def find_prefecture(text: str) -> str | None:
    """The official prefecture name for `東京`, `東京都`, `沖縄`, … or None."""
    text = text.strip()
    for pref in prefectures():
        if text in (pref, _strip_suffix(pref)):
            return pref
    return None


def bureau_for_prefecture(prefecture: str) -> Bureau | None:
    pref = find_prefecture(prefecture)
    if pref is None:
        return None
    return next(b for b in bureaus() if pref in b.prefectures)


def find_bureau(text: str) -> Bureau | None:
    """A bureau by code (`tokyo`), Japanese name (`東京`, `東京局`) or English name."""
    key = text.strip().lower()
    for b in bureaus():
        if key in (b.code, b.name_en.lower(), b.name_ja, b.name_ja + "局"):
            return b
    return None


def find_theme(text: str) -> Theme | None:
    key = text.strip()
    for th in themes():
        if key.lower() in (th.code, th.name_en.lower()) or key == th.name_ja:
            return th
    return None
