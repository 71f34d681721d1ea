"""No function of the bot is longer than a screen (60 lines), read with `ast`: a longer one hides a
helper or a service inside it.

Outside the rule: bot/local/ (the fake Slack, the console and the demo script, which are not served),
and the Alembic migrations, whose upgrade()/downgrade() are a frozen record of the schema at their
revision (one op per table, written once and never edited after they have run anywhere)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage", "config")
MAX_LINES = 60
EXEMPT = (ROOT / "bot" / "local", ROOT / "storage" / "migrations" / "versions")


def long_functions(path: Path, limit: int = MAX_LINES) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{node.lineno} {node.name} "
            f"({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > limit]


def test_no_function_over_sixty_lines():
    paths = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if not any(path.is_relative_to(exempt) for exempt in EXEMPT)]
    assert paths, "no source found"
    assert [found for path in paths for found in long_functions(path)] == []


def test_the_finder_finds_a_long_function_nested_or_not(tmp_path):
    example = tmp_path / "example.py"
    body = "".join(f"    x{n} = {n}\n" for n in range(60))
    nested = "".join("    " + line for line in body.splitlines(True))
    example.write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}\n\ndef outer():\n"
                       f"    async def inner():\n{nested}", encoding="utf-8")
    assert long_functions(example) == ["example.py:5 long (61 lines)", "example.py:68 outer (62 lines)",
                                       "example.py:69 inner (61 lines)"]
