"""The wiring is read, not run: bot/features.py lists what runs, and nothing finds code by name.

Read from the source with `ast` (nothing executed): no module of the bot imports a module named by
a string (`importlib.import_module`, `__import__`), and none swallows a failed import (an
`except ImportError` / `ModuleNotFoundError` would hide a feature that silently stopped loading).
"""

from __future__ import annotations

import ast
import re
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


# --- what the builders send: every id Slack sends back has a listener ------------------------------------


def builder_sources() -> list[Path]:
    """Everything that builds blocks or modals: bot/ (but the local fake Slack, the ids and the wiring
    themselves) and handlers/."""
    skipped = {ROOT / "bot" / "ids.py", ROOT / "bot" / "features.py"}
    return sorted(path for package in ("bot", "handlers") for path in (ROOT / package).rglob("*.py")
                  if path not in skipped and "local" not in path.relative_to(ROOT).parts)


def _callee(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _id_of(node: ast.AST) -> tuple[str, str] | None:
    """(name in bot/ids.py, the id as Slack sees it) for `ids.NAME` or `f"{ids.NAME}:{…}"`, else None."""
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.FormattedValue):
        found = _id_of(node.values[0].value)
        rest = "".join(part.value if isinstance(part, ast.Constant) else "x" for part in node.values[1:])
        return (found[0], found[1] + rest) if found else None
    if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "ids":
        return node.attr, getattr(ids, node.attr)
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    if len(call.args) > position:
        return call.args[position]
    return next((kw.value for kw in call.keywords if kw.arg == keyword), None)


def _own_nodes(function: ast.AST):
    """The nodes of a function's body, but those of the functions defined inside it."""
    for child in ast.iter_child_nodes(function):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield child
            yield from _own_nodes(child)


def sent_ids(tree: ast.AST) -> tuple[set[str], set[str], list[int]]:
    """(action ids, callback ids, lines where an id could not be read) that a module's builders put
    into what Slack sends back: a button's action_id; an element's "action_id" that is not a form
    field's (bot/ids.py names those *_INPUT: their values come with the view's submission, not as an
    action), also when a helper takes it as a parameter; a modal's callback_id when it has a submit
    button. A value that is none of bot/ids.py's names is reported, so nothing passes unread."""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    actions, views, unread = set(), set(), []
    # kit.button itself: its action_id is read where it is called
    button_defs = [node for node in ast.walk(tree) if getattr(node, "name", None) == "button"]

    def read(node: ast.AST, into: set[str], function: str | None = None, position: int = 0) -> None:
        if isinstance(node, ast.Name) and function:  # a helper's parameter: read it at each call
            for call in calls:
                if _callee(call) == function:
                    read(_argument(call, position, node.id), into)
            return
        found = _id_of(node) if node is not None else None
        if found is None:
            unread.append(getattr(node, "lineno", 0))
        elif not found[0].endswith("_INPUT"):
            into.add(found[1])

    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in [tree, *functions]:
        parameters = [arg.arg for arg in function.args.args] if function is not tree else []
        for node in _own_nodes(function):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "action_id" and function not in button_defs:
                        owner = getattr(value, "id", None)
                        read(value, actions, function.name if owner in parameters else None,
                             parameters.index(owner) if owner in parameters else 0)
    for call in calls:
        if _callee(call) == "button":
            read(_argument(call, 1, "action_id"), actions)
        elif _callee(call) == "modal" and any(kw.arg == "submit" for kw in call.keywords):
            read(_argument(call, 0, "callback_id"), views)
    return actions, views, unread


def undeclared_ids(wiring: Wiring) -> list[str]:
    missing = []
    for path in builder_sources():
        actions, views, unread = sent_ids(ast.parse(path.read_text(encoding="utf-8")))
        where = path.relative_to(ROOT)
        missing += [f"{where}:{line} an id not read from bot/ids.py" for line in unread]
        missing += [f"{where}: action {action_id!r}" for action_id in sorted(actions)
                    if action_id not in wiring.actions
                    and not any(isinstance(key, re.Pattern) and key.search(action_id) for key in wiring.actions)]
        missing += [f"{where}: view {callback_id!r}" for callback_id in sorted(views)
                    if callback_id not in wiring.views]
    return missing


def test_every_id_the_builders_send_is_declared_by_a_feature():
    """A button, select or form whose action Slack sends back to an id no feature declares would be
    answered by nobody (Bolt's 404, a warning sign beside the button)."""
    sent = [sent_ids(ast.parse(path.read_text(encoding="utf-8"))) for path in builder_sources()]
    assert sum(len(actions) for actions, _, _ in sent) > 40 and sum(len(views) for _, views, _ in sent) > 10
    assert undeclared_ids(WIRING) == []


def test_the_builder_reader_sees_what_it_looks_for():
    source = '''
def _pick(action_id, options):
    return {"type": "static_select", "action_id": action_id, "options": options}

def build(lang, option_id):
    return [actions(button("x", ids.SESSION_JOIN), button("y", f"{ids.SURVEY_CHOOSE}:{option_id}")),
            section("z", accessory=_pick(ids.POLL_ANSWER, [])),
            {"type": "input", "element": {"type": "plain_text_input", "action_id": ids.POLL_NOTE_INPUT}},
            {"type": "input", "element": _pick(ids.POLL_GROUP_INPUT, [])},
            button("w", "made_up"),
            modal(ids.POLL_VIEW, "t", [], close="c", submit="s"), modal(ids.CHECK_RESULT_VIEW, "t", [], close="c")]
'''
    actions, views, unread = sent_ids(ast.parse(source))
    assert actions == {ids.SESSION_JOIN, f"{ids.SURVEY_CHOOSE}:x", ids.POLL_ANSWER}
    assert views == {ids.POLL_VIEW}
    assert unread == [10]
    less = wire([replace(feature, actions={key: listener for key, listener in feature.actions.items()
                                           if key != ids.POLL_CLOSE},
                         views={key: listener for key, listener in feature.views.items() if key != ids.POLL_VIEW})
                 for feature in FEATURES])
    assert undeclared_ids(less) == ["bot/polls/blocks.py: action 'poll_close'", "bot/polls/blocks.py: view 'poll_view'"]
