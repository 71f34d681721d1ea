"""Queries per command stay constant as the data grows (bench/bench_queries.py measures them)."""

from __future__ import annotations

import pytest

from bench.bench_queries import measure

CONSTANT = ("help", "join", "my", "admin roster")


@pytest.fixture
async def counts(tmp_path):
    return await measure(lambda size: f"sqlite+aiosqlite:///{tmp_path / f'queries-{size}.db'}", 10, 200)


async def test_queries_per_command_do_not_grow_with_data(counts):
    assert {label: counts[10][label] for label in CONSTANT} == {label: counts[200][label] for label in CONSTANT}
    assert all(counts[10][label] > 0 for label in CONSTANT)


async def test_the_sessions_list_does_not_grow_with_data(counts):
    assert counts[10]["sessions"] == counts[200]["sessions"]
