"""Every user-facing key exists in Japanese and English, with the same placeholders."""

import re
import string
from pathlib import Path

import pytest

from bot.core.i18n import CatalogError, catalog, t

ROOT = Path(__file__).resolve().parents[1]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys():
    ja, en = catalog("ja"), catalog("en")
    assert set(ja) - set(en) == set(), "keys missing in English"
    assert set(en) - set(ja) == set(), "keys missing in Japanese"


def test_placeholders_match_between_languages():
    ja, en = catalog("ja"), catalog("en")
    # Date formats take the same parameters but each language shows a different subset.
    mismatched = {key for key in ja
                  if not key.startswith("time.") and _placeholders(ja[key]) != _placeholders(en[key])}
    assert not mismatched


def test_every_literal_key_used_in_code_exists():
    pattern = re.compile(r"""\bt\(\s*f?["']([a-z_]+(?:\.[a-z0-9_{}\.]+)+)["']""")
    used: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert used, "expected t(...) calls"
    keys = set(catalog("ja"))
    missing = []
    for key in used:
        if "{" in key:  # an f-string key: some key with that prefix must exist
            prefix = key.split("{", 1)[0]
            if not any(k.startswith(prefix) for k in keys):
                missing.append(key)
        elif key not in keys:
            missing.append(key)
    assert not missing, sorted(missing)


def test_no_yaml_boolean_keys():
    # YAML 1.1 reads on/off/yes/no keys as booleans, which would silently become "True"/"False".
    for lang in ("ja", "en"):
        assert not [k for k in catalog(lang) if re.search(r"(^|\.)(True|False)($|\.)", k)]


def test_unknown_key_fails_loudly():
    with pytest.raises(CatalogError):
        t("no.such.key")


def test_english_falls_back_only_for_language_not_for_keys():
    assert t("pledge.title", "en") == "Confidentiality pledge"
    assert t("pledge.title", "fr") == t("pledge.title", "ja")


def test_no_user_is_told_to_run_a_server_command():
    """Coordinators and lecturers have no server: `/jirei check` is their tool, not `python run_bot.py …`.
    Only the console's own lines (for the operator at the terminal) may name run_bot.py."""
    for lang in ("ja", "en"):
        told = [key for key, text in catalog(lang).items() if "run_bot" in text and not key.startswith("console.")]
        assert told == [], lang
