"""The wiring is read, not run: bot/features.py lists what runs, and nothing finds code by name.

Read from the source with `ast` (nothing executed): no module of the bot imports a module named by
a string (`importlib.import_module`, `__import__`), and none swallows a failed import (an
`except ImportError` / `ModuleNotFoundError` would hide a feature that silently stopped loading).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from bot.features import FEATURES, WIRING

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage", "config")
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def sources() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py")) + [ROOT / "run_bot.py"]


def string_imports(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                lines.append(node.lineno)
    return lines


def swallowed_imports(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(getattr(item, "id", getattr(item, "attr", None)) in IMPORT_ERRORS for item in caught):
                lines.append(node.lineno)
    return lines


def test_nothing_is_imported_by_name_from_a_string_and_no_failed_import_is_swallowed():
    found = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}:{line} imports by name" for line in string_imports(tree)]
        found += [f"{path.relative_to(ROOT)}:{line} swallows an ImportError" for line in swallowed_imports(tree)]
    assert found == []


def test_the_checker_sees_what_it_looks_for():
    assert string_imports(ast.parse("import importlib\nimportlib.import_module('bot.x')")) == [2]
    assert swallowed_imports(ast.parse("try:\n    import x\nexcept (ImportError, OSError):\n    pass")) == [3]


def enqueued_kinds() -> dict[str, str]:
    """Every delivery kind the bot puts in the outbox (`outbox.enqueue(…, kind=…)` or
    `outbox.pending_delivery(kind=…)`), read from the source: kind → where. A kind given by name is
    looked up in the module that enqueues it."""
    kinds: dict[str, str] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = None
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("enqueue", "pending_delivery")
                    and getattr(node.func.value, "id", None) == "outbox"):
                continue
            value = next(keyword.value for keyword in node.keywords if keyword.arg == "kind")
            if isinstance(value, ast.Constant):
                kind = value.value
            else:
                if module is None:
                    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                    module = importlib.import_module(name)  # the module itself, named by its path
                kind = getattr(module, value.id)
            kinds[kind] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return kinds


def test_every_delivery_kind_put_in_the_outbox_has_a_renderer():
    kinds = enqueued_kinds()
    assert {"session_confirmed", "material", "session_reminder", "survey_invitation"} <= set(kinds)
    assert {kind: where for kind, where in kinds.items() if kind not in WIRING.renderers} == {}


def test_every_feature_is_wired_and_every_job_has_a_cadence():
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))
    assert {job.name for job in WIRING.jobs} == {job.name for feature in FEATURES for job in feature.jobs}
    assert all((job.every is None) != (job.cron is None) for job in WIRING.jobs)
    assert sum(len(feature.renderers) for feature in FEATURES) == len(WIRING.renderers)
