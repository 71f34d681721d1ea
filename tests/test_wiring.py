"""The wiring is read, not run: bot/features.py lists what runs, and nothing finds code by name.

Read from the source with `ast` (nothing executed): no module of the bot imports a module named by
a string (`importlib.import_module`, `__import__`), and none swallows a failed import (an
`except ImportError` / `ModuleNotFoundError` would hide a feature that silently stopped loading).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from bot.delivery.kinds import DeliveryKind
from bot.features import FEATURES, WIRING
from bot.wiring import Feature, wire
from handlers.actions import library as library_actions

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


def test_every_delivery_kind_has_one_renderer_and_every_renderer_a_kind():
    """The kinds are one enum: each member has its renderer in bot/features.py, and no feature
    hands over a renderer for a kind the enum does not name."""
    assert set(WIRING.renderers) == set(DeliveryKind)
    assert all(type(kind) is DeliveryKind for feature in FEATURES for kind in feature.renderers)


def test_a_kind_without_a_renderer_is_seen():
    less = wire([Feature(feature.name, renderers={kind: render for kind, render in feature.renderers.items()
                                                  if kind is not DeliveryKind.SESSION_REMINDER})
                 for feature in FEATURES])
    assert set(DeliveryKind) - set(less.renderers) == {DeliveryKind.SESSION_REMINDER}


def test_every_feature_is_wired_and_every_job_has_a_cadence():
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))
    assert {job.name for job in WIRING.jobs} == {job.name for feature in FEATURES for job in feature.jobs}
    assert all((job.every is None) != (job.cron is None) for job in WIRING.jobs)
    assert sum(len(feature.renderers) for feature in FEATURES) == len(WIRING.renderers)


# Names Bolt passes to a listener by name; a module-level function taking only these (with `ack`, or an
# event with its client) is a Slack listener.
BOLT_ARGUMENTS = {"ack", "body", "context", "respond", "client", "event", "payload", "say", "action", "view",
                  "command", "logger", "message", "options", "shortcut", "request", "response", "next"}


class RecordingApp:
    """Stands in for the AsyncApp: records what each feature's register functions wire, by id."""

    def __init__(self):
        self.wired: dict[object, list] = {}

    def __getattr__(self, surface: str):
        def matcher(*ids, **_):
            def wire_it(function):
                self.wired.setdefault(function, []).append((surface, ids))
                return function
            return wire_it
        return matcher


def module_level_listeners() -> dict[str, object]:
    found = {}
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for name, function in vars(module).items():
            if not inspect.iscoroutinefunction(function) or function.__module__ != module.__name__:
                continue
            parameters = set(inspect.signature(function).parameters)
            if parameters <= BOLT_ARGUMENTS and ("ack" in parameters or {"event", "client"} <= parameters):
                found[f"{module.__name__}.{name}"] = function
    return found


def wired_by_features() -> dict[object, list]:
    app = RecordingApp()
    for feature in FEATURES:
        for register in feature.listeners:
            register(app, object())
    return app.wired


def test_every_listener_in_handlers_is_wired_by_a_feature():
    """A handler no feature in bot/features.py hands over would never run: none exists."""
    listeners = module_level_listeners()
    assert len(listeners) > 40  # the finder sees the handlers
    wired = wired_by_features()
    assert sorted(name for name, function in listeners.items() if function not in wired) == []


def test_a_listener_no_feature_wires_is_seen():
    wired = wired_by_features()
    assert library_actions.open_case in wired
    del wired[library_actions.open_case]
    assert sorted(name for name, function in module_level_listeners().items()
                  if function not in wired) == ["handlers.actions.library.open_case"]
