"""Split a confirmed session's participants into discussion groups.

The rule, in plain words:

1. **Sizes.** Groups hold between ``min_size`` and ``max_size`` people (5–6 by default, the
   size 13 of 23 coordinators asked for in the planning survey). We use the fewest groups that
   fit and make them as equal as possible (sizes differ by at most one). For example 11 people
   become 6 + 5, 24 become 6 + 6 + 6 + 6.
2. **When 5–6 cannot work.** Some head counts cannot be cut into groups of 5–6 at all: every
   number below 5, and 7, 8, 9, 13, 14 and 19. From 20 upwards every number works. For those
   counts we pick the equal split whose sizes stray least outside the range (first the largest
   stray, then the total stray, then fewer groups), which for 5–6 always stays within 4–7:
   7 → 7, 8 → 4 + 4, 9 → 5 + 4, 13 → 7 + 6, 14 → 5 + 5 + 4, 19 → 7 + 6 + 6. Nobody is ever
   left alone in a group of one; fewer people than ``min_size`` form a single group.
3. **Mixed affiliations.** Public-sector and private-sector coordinators (and those who did not
   say) are spread evenly: each group receives its proportional share of each kind (kind total
   × group size ÷ head count), rounded down or up, never further off. Who goes where within a
   kind, and which groups get the rounded-up places, is a seeded random choice.
4. **Reproducible.** The same participants and the same seed always give the same groups,
   whatever order the participants were passed in.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Affiliation = Literal["public", "private"]

# A fixed order of the kinds, so that the seeded shuffles below consume randomness in the
# same order on every run.
_AFFILIATION_ORDER: tuple[Affiliation | None, ...] = ("public", "private", None)


@dataclass(frozen=True)
class Participant:
    user_id: str
    affiliation: Affiliation | None
    # Carried so callers can pass one profile shape; the current rule does not use themes
    # because everyone in a session discusses the same case.
    themes: frozenset[str] = field(default_factory=frozenset)


def _check_bounds(min_size: int, max_size: int) -> None:
    # A "group" of one is not a discussion, so the bounds themselves may not ask for it.
    if min_size < 2 or max_size < min_size:
        raise ValueError(f"group size bounds must satisfy 2 <= min <= max, got {min_size}..{max_size}")


def _even_split(n: int, count: int) -> list[int]:
    """``count`` sizes adding up to ``n`` that differ by at most one, larger first."""
    base, extra = divmod(n, count)
    return [base + 1] * extra + [base] * (count - extra)


def feasible_sizes(n: int, min_size: int, max_size: int) -> list[int]:
    """The group sizes for ``n`` people with every size in [min_size, max_size], or ``[]``.

    Uses the fewest groups and sizes as equal as possible (larger first). If any number of
    groups can fit the bounds, the fewest-groups split does too, so ``[]`` means that ``n``
    cannot be split within the bounds at all.
    """
    _check_bounds(min_size, max_size)
    if n <= 0:
        return []
    count = math.ceil(n / max_size)
    if n < min_size * count:
        return []
    return _even_split(n, count)


def _stray(size: int, min_size: int, max_size: int) -> int:
    return max(0, min_size - size, size - max_size)


def plan_group_sizes(n: int, min_size: int = 5, max_size: int = 6) -> list[int]:
    """The group sizes to use for ``n`` people: within bounds if possible, else the closest.

    Closest means the equal split whose worst group strays least outside the bounds, then the
    least total stray, then the fewest groups. No group of one unless ``n`` is 1.
    """
    sizes = feasible_sizes(n, min_size, max_size)
    if sizes or n <= 0:
        return sizes
    if n < min_size:
        return [n]
    # Splits into ``count`` groups keep every group at two or more people.
    candidates = [_even_split(n, count) for count in range(1, n // 2 + 1)]

    def score(split: list[int]) -> tuple[int, int, int]:
        strays = [_stray(size, min_size, max_size) for size in split]
        return max(strays), sum(strays), len(split)

    return min(candidates, key=score)


def split_into_groups(
    participants: Sequence[Participant],
    min_size: int = 5,
    max_size: int = 6,
    seed: int | str = 0,
) -> list[list[str]]:
    """Split participants into discussion groups (user ids), following the module's rule."""
    _check_bounds(min_size, max_size)
    user_ids = [p.user_id for p in participants]
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("each participant may appear only once")
    sizes = plan_group_sizes(len(participants), min_size, max_size)
    if not sizes:
        return []

    rng = random.Random(seed)
    # Sorting first makes the result independent of the order the caller passed people in.
    ordered = sorted(participants, key=lambda p: p.user_id)
    kinds = [[p for p in ordered if p.affiliation == affiliation] for affiliation in _AFFILIATION_ORDER]
    for kind in kinds:
        rng.shuffle(kind)
    # Which groups receive the rounded-up shares is decided in a seeded group order, so the
    # first group is not always the one with the extra public-sector member.
    group_order = list(range(len(sizes)))
    rng.shuffle(group_order)
    shuffled_sizes = [sizes[g] for g in group_order]
    counts = apportion([len(kind) for kind in kinds], shuffled_sizes)

    groups: list[list[str]] = [[] for _ in sizes]
    for kind, row in zip(kinds, counts, strict=True):
        taken = 0
        for position, count in enumerate(row):
            groups[group_order[position]].extend(p.user_id for p in kind[taken : taken + count])
            taken += count
    return groups


def apportion(kind_totals: Sequence[int], group_sizes: Sequence[int]) -> list[list[int]]:
    """How many of each kind go to each group: ``counts[kind][group]``.

    Every count is its proportional share ``kind_total * group_size / n`` rounded down or up,
    each kind is placed in full and each group is filled exactly. Such a rounding always exists
    (the shares themselves are a fractional solution of a flow problem with integer bounds, so
    an integral one exists too); we find it with a small max-flow over the round-up choices.
    """
    n = sum(kind_totals)
    if n != sum(group_sizes):
        raise ValueError("kinds and groups must account for the same number of people")
    if n == 0:
        return [[0] * len(group_sizes) for _ in kind_totals]
    floors = [[total * size // n for size in group_sizes] for total in kind_totals]
    counts = [row[:] for row in floors]
    kinds, groups = range(len(kind_totals)), range(len(group_sizes))
    free_seats = [size - sum(row[g] for row in floors) for g, size in enumerate(group_sizes)]

    def may_round_up(kind: int, group: int) -> bool:
        has_fraction = kind_totals[kind] * group_sizes[group] % n != 0
        return has_fraction and counts[kind][group] == floors[kind][group]

    def place_one_more(kind: int, visited: set[int]) -> bool:
        # An augmenting path: take a free seat, or take a seat another kind rounded up into
        # and move that kind's extra member to some other group.
        for group in groups:
            if group in visited or not may_round_up(kind, group):
                continue
            visited.add(group)
            if free_seats[group] > 0:
                free_seats[group] -= 1
                counts[kind][group] += 1
                return True
            for other in kinds:
                if other == kind or counts[other][group] == floors[other][group]:
                    continue
                counts[other][group] -= 1
                if place_one_more(other, visited):
                    counts[kind][group] += 1
                    return True
                counts[other][group] += 1
        return False

    for kind in kinds:
        for _ in range(kind_totals[kind] - sum(counts[kind])):
            if not place_one_more(kind, set()):
                raise RuntimeError("a proportional rounding always exists; this is a bug")
    return counts
