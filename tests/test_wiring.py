"""The wiring is read, not run: bot/features.py lists what runs, and nothing finds code by name.

Read from the source with `ast` (nothing executed): no module of the bot imports a module named by
a string (`importlib.import_module`, `__import__`), and none swallows a failed import (an
`except ImportError` / `ModuleNotFoundError` would hide a feature that silently stopped loading).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import replace
from pathlib import Path

import pytest

from bot import ids
from bot.core import grammar
from bot.delivery.kinds import DeliveryKind
from bot.features import FEATURES, WIRING
from bot.wiring import Feature, Wiring, wire
from handlers.actions import library as library_actions
from handlers.commands import review as review_commands
from handlers.commands import sessions as session_commands
from handlers.commands import surveys as survey_commands

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
# What a /jirei command's handler takes: the parsed command and the request (handlers/commands/request.py).
COMMAND_ARGUMENTS = ["cmd", "request"]


def handler_modules() -> list:
    return [importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            for path in sorted((ROOT / "handlers").rglob("*.py"))]


def module_level_handlers() -> dict[str, object]:
    """Every Slack listener and every public /jirei command handler defined at module level in handlers/."""
    found = {}
    for module in handler_modules():
        for name, function in vars(module).items():
            if not inspect.iscoroutinefunction(function) or function.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(function).parameters)
            bolt = set(parameters) <= BOLT_ARGUMENTS
            listener = bolt and ("ack" in parameters or {"event", "client"} <= set(parameters))
            command = parameters == COMMAND_ARGUMENTS and not name.startswith("_")
            if listener or command:
                found[f"{module.__name__}.{name}"] = function
    return found


def declared_listeners(wiring: Wiring) -> list:
    return [*wiring.slash_commands.values(), *wiring.actions.values(), *wiring.views.values(),
            *(event.listener for event in wiring.events)]


def declared_handlers(wiring: Wiring) -> list:
    return [*declared_listeners(wiring), *wiring.commands.values()]


def undeclared(wiring: Wiring) -> list[str]:
    declared = declared_handlers(wiring)
    return sorted(name for name, function in module_level_handlers().items() if function not in declared)


def test_every_handler_in_handlers_is_declared_by_a_feature():
    """A listener or command handler no feature in bot/features.py declares would never run: none exists."""
    handlers = module_level_handlers()
    assert len(handlers) > 90  # the finder sees the listeners and the command handlers
    assert undeclared(WIRING) == []


def test_a_handler_no_feature_declares_is_seen():
    less = wire([replace(feature, actions={key: listener for key, listener in feature.actions.items()
                                           if listener is not library_actions.open_case},
                         commands={kind: handle for kind, handle in feature.commands.items()
                                   if kind is not grammar.Join})
                 for feature in FEATURES])
    assert undeclared(less) == ["handlers.actions.library.open_case", "handlers.commands.sessions.join"]


def reachable(function) -> bool:
    """A module-level function of handlers/, found by importing its module and reading its name."""
    module = importlib.import_module(getattr(function, "__module__", None) or "builtins")
    return (module.__name__.startswith("handlers.") and inspect.iscoroutinefunction(function)
            and getattr(module, function.__qualname__, None) is function)


def misdeclared(wiring: Wiring) -> list[str]:
    """Each declared id with what is wrong with its handler: no handler in handlers/ an import reaches,
    a handler taking what Bolt does not pass, or an id that is not a constant of bot/ids.py."""
    constants = {value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}
    wrong = []
    tables = {"slash command": wiring.slash_commands, "action": wiring.actions, "view": wiring.views,
              "event": {event.type: event.listener for event in wiring.events}}
    for kind, table in tables.items():
        for key, listener in table.items():
            if not reachable(listener) or not set(inspect.signature(listener).parameters) <= BOLT_ARGUMENTS:
                wrong.append(f"{kind} {key!r}: {listener!r} is no listener in handlers/")
            if kind in ("action", "view") and getattr(key, "pattern", key) not in constants:
                wrong.append(f"{kind} {key!r} is not an id of bot/ids.py")
    for kind, handle in wiring.commands.items():
        if not reachable(handle) or list(inspect.signature(handle).parameters) != COMMAND_ARGUMENTS:
            wrong.append(f"command {kind.__name__}: {handle!r} is no command handler in handlers/commands/")
    for event in wiring.events:
        wrong += [f"event {event.type!r}: matcher {matcher!r} is not in handlers/"
                  for matcher in event.matchers if not reachable(matcher)]
    return wrong


def test_every_declared_id_has_its_handler_in_handlers():
    assert len(WIRING.actions) > 40 and len(WIRING.views) > 10 and len(WIRING.commands) > 35
    assert misdeclared(WIRING) == []


def test_a_declared_id_without_a_handler_is_seen():
    async def closure(ack, body):
        await ack()

    broken = wire([Feature("broken", actions={ids.SESSION_JOIN: closure, "made_up": library_actions.open_case},
                           views={ids.POLL_VIEW: None}, commands={grammar.Join: library_actions.open_case})])
    assert len(misdeclared(broken)) == 4


def test_commands_go_to_their_handler_through_the_table():
    """The /jirei table is the features' own, merged: each class's handler is the one its feature names."""
    assert WIRING.commands[grammar.Join] is session_commands.join
    assert WIRING.commands[grammar.YearReport] is review_commands.year_report
    assert WIRING.commands[grammar.Report] is survey_commands.report
    with pytest.raises(ValueError, match="Join"):
        wire([Feature("a", commands={grammar.Join: session_commands.join}),
              Feature("b", commands={grammar.Join: session_commands.leave})])
