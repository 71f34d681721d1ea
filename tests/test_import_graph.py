"""The shape of the code, read from its imports (with `ast`, nothing run):

- a feature's results (bot/<feature>/results.py) are plain values: they import no service and no
  Slack side;
- a feature's services (bot/<feature>/service.py and the other rule modules beside it) decide and
  write: they import neither Slack, HTTP, the Deps (which carry the Slack client), Block Kit
  builders (blocks.py), renderers (messages.py), jobs (jobs.py), handlers nor SQLAlchemy (all SQL
  is behind the unit of work's repositories);
- bot/core/ is Slack-agnostic: no Slack, no HTTP, no Deps, no features, no handlers;
- no import circle joins services with messages or Block Kit builders;
- the local Slack, the console and the demo (bot/local/) are reached only from bot/cli.py's
  console and demo modes: no serving module imports them;
- Block Kit builders (a feature's blocks.py) and renderers (messages.py) import no service: they
  build from results and core, and a renderer reads at send time through its feature's views.py
  (read-only queries, which import no service either);
- shared delivery (bot/delivery/) imports no feature;
- no module imports a project module inside a function but bot/cli.py, and no import circle is left;
- bot/ and handlers/ use Bolt's public modules only (no `internals`, no name starting with `_`).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage", "config")
FEATURES = ("sessions", "materials", "surveys", "study_groups", "people", "review", "privacy", "checks", "requests",
            "library", "polls")
SLACK_SIDE = ("blocks", "messages", "jobs", "reminder_blocks")  # a feature's modules that speak Slack
NOT_FOR_SERVICES = ("slack_sdk", "slack_bolt", "aiohttp", "sqlalchemy", "bot.deps", "bot.kit",
                    "bot.delivery.renderers", "bot.local", "handlers")
NOT_FOR_CORE = ("slack_sdk", "slack_bolt", "aiohttp", "bot.deps", "bot.kit", "bot.delivery", "bot.local",
                "handlers", *(f"bot.{feature}" for feature in FEATURES))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, wherever in the file (except under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
               for node in ast.walk(block)}
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}
    return {name: {target for target in imports_of(path) if target in modules and target != name}
            for name, path in modules.items()}


def within(name: str, prefixes) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def is_message(name: str) -> bool:
    """Block Kit builders and renderers: bot.kit and a feature's blocks.py / messages.py."""
    parts = name.split(".")
    return name == "bot.kit" or (len(parts) == 3 and parts[1] in FEATURES and parts[2] in SLACK_SIDE
                                 and parts[2] != "jobs")


def is_service(name: str) -> bool:
    """A feature's rule modules: service.py and the others beside it that are not its Slack side."""
    parts = name.split(".")
    return len(parts) == 3 and parts[0] == "bot" and parts[1] in FEATURES and parts[2] not in SLACK_SIDE


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative: the groups of modules that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return [group for group in groups if len(group) > 1]


def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def test_every_feature_has_its_folder_its_service_and_its_results():
    found = modules()
    assert [feature for feature in FEATURES if f"bot.{feature}.service" not in found] == []
    assert [feature for feature in FEATURES if f"bot.{feature}.results" not in found] == []
    assert not (ROOT / "bot" / "services").exists() and not (ROOT / "bot" / "blocks").exists()


def test_services_import_neither_slack_nor_block_kit_nor_sql():
    offending = {}
    services = {name: path for name, path in modules().items() if is_service(name)}
    assert "bot.sessions.service" in services and "bot.sessions.blocks" not in services
    for name, path in services.items():
        bad = sorted(target for target in imports_of(path)
                     if within(target, NOT_FOR_SERVICES) or is_message(target) or target.endswith(".jobs"))
        if bad:
            offending[name] = bad
    assert offending == {}


def test_results_are_plain_values():
    """A feature's results.py imports no service, no Slack side and no SQLAlchemy: builders and
    renderers read results without depending on the rules that made them."""
    offending = {}
    for name, path in modules().items():
        if name.endswith(".results") and is_service(name):
            bad = sorted(target for target in imports_of(path) if within(target, NOT_FOR_SERVICES)
                         or is_message(target) or target.endswith((".jobs", ".service")))
            if bad:
                offending[name] = bad
    assert len([name for name in modules() if name.endswith(".results")]) == len(FEATURES)
    assert offending == {}


def test_core_is_slack_agnostic():
    offending = {}
    for name, path in modules().items():
        if within(name, ("bot.core",)):
            bad = sorted(target for target in imports_of(path) if within(target, NOT_FOR_CORE))
            if bad:
                offending[name] = bad
    assert offending == {}


def test_no_serving_module_imports_the_local_slack():
    offending = sorted(name for name, path in modules().items()
                       if not within(name, ("bot.local",)) and name != "bot.cli"
                       and any(within(target, ("bot.local",)) for target in imports_of(path)))
    assert offending == []


def test_no_import_circle_joins_services_and_messages():
    circles = [sorted(group) for group in strongly_connected(graph())
               if any(is_service(m) for m in group) and any(is_message(m) for m in group)]
    assert circles == []


def test_the_circle_finder_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def function_level_imports(path: Path) -> list[int]:
    """Lines where a function imports a module of the project: a dependency the import graph would
    not show (and a circle it would hide)."""
    lines = []
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                if any(name.split(".")[0] in PACKAGES for name in names):
                    lines.append(node.lineno)
    return sorted(set(lines))


def test_only_the_cli_imports_project_modules_inside_functions():
    """bot/cli.py imports each mode's modules when that mode runs; everything else at the top."""
    found = [f"{path.relative_to(ROOT)}:{line}" for name, path in modules().items() if name != "bot.cli"
             for line in function_level_imports(path)]
    assert found == []


def test_the_function_level_import_finder_finds_one(tmp_path):
    example = tmp_path / "example.py"
    example.write_text("import json\n\ndef f():\n    import json\n    from bot.core import grammar\n", encoding="utf-8")
    assert function_level_imports(example) == [5]


def test_no_import_circle():
    assert strongly_connected(graph()) == []


def test_delivery_imports_no_feature():
    """The outbox and its dispatcher serve every feature and depend on none (features hand their
    renderers over in bot/features.py)."""
    offending = sorted(f"{name} -> {target}" for name, targets in graph().items() if within(name, ("bot.delivery",))
                       for target in targets if within(target, tuple(f"bot.{feature}" for feature in FEATURES)))
    assert offending == []


def services_imported_by_builders() -> set[str]:
    return {f"{name} -> {target}" for name, targets in graph().items()
            if is_message(name) and name != "bot.kit" for target in targets if target.endswith(".service")}


def test_block_kit_builders_and_renderers_import_no_service():
    """What a renderer reads at send time it reads through its feature's views.py (read only)."""
    assert sorted(services_imported_by_builders()) == []


def test_views_import_no_service():
    """A feature's views.py reads and returns values; it is what services and renderers share, so it
    depends on neither (else a renderer would reach a service through it)."""
    views = [name for name in graph() if name.endswith(".views") and is_service(name)]
    assert len(views) >= 3
    offending = sorted(f"{name} -> {target}" for name in views for target in graph()[name]
                       if target.endswith(".service") or is_message(target) or target.endswith(".jobs"))
    assert offending == []


def private_bolt_imports(path: Path) -> list[str]:
    """What `path` imports from Bolt that Bolt does not publish: a module whose path says
    `internals`, or any part of the name starting with `_`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [f"{node.module}.{alias.name}" for alias in node.names]
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
        found += [name for name in names if name.split(".")[0] == "slack_bolt"
                  and any("internals" in part or part.startswith("_") for part in name.split("."))]
    return sorted(found)


def test_no_private_bolt_import():
    found = {name: bad for name, path in modules().items() if within(name, ("bot", "handlers"))
             if (bad := private_bolt_imports(path))}
    assert found == {}


def test_the_private_bolt_import_finder_finds_them(tmp_path):
    example = tmp_path / "example.py"
    example.write_text("from slack_bolt.request.async_internals import build_async_context\n"
                       "from slack_bolt.request.async_request import AsyncBoltRequest\n"
                       "from slack_bolt.app import _private\nimport slack_bolt._utils\n", encoding="utf-8")
    assert private_bolt_imports(example) == ["slack_bolt._utils", "slack_bolt.app._private",
                                             "slack_bolt.request.async_internals.build_async_context"]
