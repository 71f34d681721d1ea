import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.grouping import Participant, apportion, feasible_sizes, plan_group_sizes, split_into_groups

# The head counts from 1 to 60 that cannot be split into groups of 5–6 (see the module docstring).
INFEASIBLE_FOR_5_TO_6 = {1, 2, 3, 4, 7, 8, 9, 13, 14, 19}

affiliations = st.sampled_from(["public", "private", None])


def people(kinds: list[str | None]) -> list[Participant]:
    return [Participant(f"U{i:03d}", kind) for i, kind in enumerate(kinds)]


def test_exactly_these_head_counts_cannot_be_split_into_fives_and_sixes():
    infeasible = {n for n in range(1, 61) if not feasible_sizes(n, 5, 6)}
    assert infeasible == INFEASIBLE_FOR_5_TO_6


@pytest.mark.parametrize(
    ("n", "sizes"),
    [
        (5, [5]),
        (6, [6]),
        (10, [5, 5]),
        (11, [6, 5]),
        (12, [6, 6]),
        (23, [6, 6, 6, 5]),
        (24, [6, 6, 6, 6]),
        (30, [6, 6, 6, 6, 6]),
    ],
)
def test_feasible_counts_use_fewest_groups_with_equal_sizes(n, sizes):
    assert feasible_sizes(n, 5, 6) == sizes
    assert plan_group_sizes(n, 5, 6) == sizes


@pytest.mark.parametrize(
    ("n", "sizes"),
    [
        (1, [1]),
        (2, [2]),
        (4, [4]),
        (7, [7]),
        (8, [4, 4]),
        (9, [5, 4]),
        (13, [7, 6]),
        (14, [5, 5, 4]),
        (19, [7, 6, 6]),
    ],
)
def test_infeasible_counts_fall_back_to_the_documented_closest_sizes(n, sizes):
    assert plan_group_sizes(n, 5, 6) == sizes


def test_nobody_is_ever_alone_in_a_group():
    for min_size in range(2, 8):
        for max_size in range(min_size, 9):
            for n in range(2, 40):
                sizes = plan_group_sizes(n, min_size, max_size)
                assert sum(sizes) == n
                assert min(sizes) >= 2, (n, min_size, max_size, sizes)


def test_fewer_than_the_minimum_make_one_group():
    groups = split_into_groups(people(["public", "private", None]))
    assert len(groups) == 1
    assert sorted(groups[0]) == ["U000", "U001", "U002"]


def test_no_participants_make_no_groups():
    assert split_into_groups([]) == []


@settings(max_examples=300, deadline=None)
@given(
    kinds=st.lists(affiliations, min_size=5, max_size=60),
    seed=st.one_of(st.integers(), st.text(max_size=12)),
)
def test_groups_follow_every_rule(kinds, seed):
    participants = people(kinds)
    n = len(participants)
    groups = split_into_groups(participants, seed=seed)

    placed = [user_id for group in groups for user_id in group]
    assert sorted(placed) == sorted(p.user_id for p in participants)

    sizes = [len(group) for group in groups]
    if n in INFEASIBLE_FOR_5_TO_6:
        assert all(4 <= size <= 7 for size in sizes)
    else:
        assert all(5 <= size <= 6 for size in sizes)
    assert max(sizes) - min(sizes) <= 1

    affiliation_of = {p.user_id: p.affiliation for p in participants}
    for kind in ("public", "private", None):
        total = sum(1 for k in kinds if k == kind)
        for group in groups:
            share = total * len(group) / n
            count = sum(1 for user_id in group if affiliation_of[user_id] == kind)
            assert math.floor(share) <= count <= math.ceil(share)


@settings(max_examples=100, deadline=None)
@given(kinds=st.lists(affiliations, min_size=1, max_size=40), seed=st.integers(), shuffle_seed=st.integers())
def test_same_seed_same_groups_whatever_the_input_order(kinds, seed, shuffle_seed):
    participants = people(kinds)
    reordered = participants[:]
    random.Random(shuffle_seed).shuffle(reordered)
    assert split_into_groups(participants, seed=seed) == split_into_groups(reordered, seed=seed)


def test_the_seed_changes_who_meets_whom():
    participants = people(["public", "private"] * 10)
    outcomes = {
        tuple(tuple(sorted(group)) for group in split_into_groups(participants, seed=seed)) for seed in range(10)
    }
    assert len(outcomes) > 1


def test_twelve_public_and_twelve_private_make_balanced_groups():
    participants = people(["public"] * 12 + ["private"] * 12)
    affiliation_of = {p.user_id: p.affiliation for p in participants}
    for group in split_into_groups(participants, seed="S3"):
        kinds = [affiliation_of[user_id] for user_id in group]
        assert kinds.count("public") == kinds.count("private") == 3


@settings(max_examples=200, deadline=None)
@given(
    kind_totals=st.lists(st.integers(0, 30), min_size=1, max_size=4),
    group_count=st.integers(1, 12),
    data=st.data(),
)
def test_apportion_rounds_every_share_down_or_up_and_fills_every_group(kind_totals, group_count, data):
    n = sum(kind_totals)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), min_size=group_count - 1, max_size=group_count - 1)))
    group_sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n])]
    counts = apportion(kind_totals, group_sizes)
    for kind, total in enumerate(kind_totals):
        assert sum(counts[kind]) == total
    for g, size in enumerate(group_sizes):
        assert sum(row[g] for row in counts) == size
        for kind, total in enumerate(kind_totals):
            if n:
                share = total * size / n
                assert math.floor(share) <= counts[kind][g] <= math.ceil(share)


def test_duplicate_participants_are_rejected():
    with pytest.raises(ValueError):
        split_into_groups([Participant("U1", "public"), Participant("U1", "private")])


@pytest.mark.parametrize(("min_size", "max_size"), [(1, 5), (6, 5)])
def test_impossible_bounds_are_rejected(min_size, max_size):
    with pytest.raises(ValueError):
        feasible_sizes(10, min_size, max_size)
