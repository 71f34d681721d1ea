"""Propose self-organised study groups among eligible coordinators (study-group nudges).

The rule, in plain words:

1. **Who.** Callers pass only eligible people (nudges on, not in an active group, under the
   frequency cap). Everyone passed in ends up either in a proposed group or in ``unmatched``
   with a reason; nobody is dropped silently.
2. **Where.** People are grouped with others of their own bureau region, so they can meet in
   person. Whoever cannot be placed in their region and said online meetings are fine
   (``online_ok``) is then considered for an online group with such people from every region
   (``bureau == "online"``).
3. **A shared theme.** Every group has at least one theme all its members share. Themes are
   taken most common first: everyone not yet placed who has that theme is split into groups of
   ``min_size``–``max_size`` (3–6 by default), as few groups as fit and as equal as possible
   (7 people → 4 + 3, 10 → 5 + 5). Inside a theme, people whose other themes match are put
   together so groups share as many themes as possible, and public- and private-sector members
   are mixed where that costs no shared theme.
4. **No repeats.** No two members of a proposed group may have been members of the same recent
   grouping. Put the other way: a group that overlaps any recent grouping in two or more people
   is a repeat and is never proposed.
5. **Nobody left over needlessly.** Someone set aside first joins an existing group of their
   pool that stays within ``max_size`` and keeps a shared theme; failing that, they start a new
   group with others set aside, borrowing members with the theme from groups larger than
   ``min_size``.
6. **Reasons for the rest** (``UnmatchedReason``), checked in this order:
   ``too_few_nearby``: fewer than ``min_size`` candidates within reach (their region, plus the
   online pool if ``online_ok``); ``would_repeat``: a group was possible, but only with someone
   from one of their recent groupings; ``no_shared_theme``: otherwise, no group sharing one of
   their themes could be formed or joined.
7. **Reproducible.** The same candidates, recent groupings and seed give the same proposal,
   whatever order the candidates were passed in.

The work is greedy with a little local improvement: 2,000 candidates take about 0.1 s.
Recent groupings may name people who are not candidates now; they are simply ignored.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from bot.core.grouping import feasible_sizes

ONLINE = "online"

# How far apart (in groups of one theme) a swap partner for mixing affiliations may be; small,
# because nearby groups hold people with similar themes and a wide search costs time.
_MIX_WINDOW = 3
_MIX_PASSES = 2


class UnmatchedReason(StrEnum):
    TOO_FEW_NEARBY = "too_few_nearby"
    NO_SHARED_THEME = "no_shared_theme"
    WOULD_REPEAT = "would_repeat"


@dataclass(frozen=True)
class Candidate:
    user_id: str
    bureau: str
    themes: frozenset[str]
    affiliation: Literal["public", "private"] | None
    online_ok: bool


@dataclass(frozen=True)
class ProposedGroup:
    members: tuple[str, ...]  # user ids, sorted
    bureau: str  # the members' bureau code, or ONLINE
    shared_themes: frozenset[str]  # themes every member has; never empty


@dataclass(frozen=True)
class Unmatched:
    user_id: str
    reason: UnmatchedReason


@dataclass(frozen=True)
class MatchResult:
    groups: list[ProposedGroup]
    unmatched: list[Unmatched]


@dataclass
class _Draft:
    """A group being built; ``shared`` is kept up to date because it is read far more often."""

    members: list[Candidate]
    shared: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.replace(self.members)

    def replace(self, members: list[Candidate]) -> None:
        self.members = members
        self.shared = frozenset.intersection(*(m.themes for m in members)) if members else frozenset()

    def add(self, person: Candidate) -> None:
        self.members.append(person)
        self.shared = self.shared & person.themes

    def remove(self, person: Candidate) -> None:
        self.replace([m for m in self.members if m is not person])


def _imbalance(members: Iterable[Candidate]) -> int:
    counts = Counter(m.affiliation for m in members)
    return abs(counts["public"] - counts["private"])


class _History:
    """Who was recently grouped with whom, stored per grouping so a big grouping stays cheap."""

    def __init__(self, recent_groupings: Iterable[frozenset[str]], wanted: set[str]) -> None:
        self.groupings: list[frozenset[str]] = []
        memberships: dict[str, set[int]] = defaultdict(set)
        for grouping in recent_groupings:
            members = frozenset(u for u in grouping if u in wanted)
            if len(members) < 2:
                continue  # nobody here can be re-paired through it
            for user_id in members:
                memberships[user_id].add(len(self.groupings))
            self.groupings.append(members)
        self.memberships = {user_id: frozenset(indexes) for user_id, indexes in memberships.items()}

    def clashes(self, user_id: str, others: Iterable[str]) -> bool:
        mine = self.memberships.get(user_id)
        return bool(mine) and any(not mine.isdisjoint(self.memberships.get(o, ())) for o in others)

    def partners(self, user_id: str) -> set[str]:
        """Everyone else who shared a recent grouping with ``user_id``."""
        together = set().union(*(self.groupings[i] for i in self.memberships.get(user_id, ())))
        together.discard(user_id)
        return together


class _PoolMatcher:
    """Forms groups inside one pool (a bureau region or the online pool)."""

    def __init__(
        self,
        people: list[Candidate],
        history: _History,
        rank: dict[str, int],
        min_size: int,
        max_size: int,
    ) -> None:
        self.people = sorted(people, key=lambda c: rank[c.user_id])
        self.history = history
        self.rank = rank
        self.min_size = min_size
        self.max_size = max_size
        self.theme_members: dict[str, set[str]] = defaultdict(set)
        for person in people:
            for theme in person.themes:
                self.theme_members[theme].add(person.user_id)
        self.groups: list[_Draft] = []
        self.set_aside: list[Candidate] = []
        # People for whom a group was within reach but only with a recent group-mate.
        self.blocked_by_repeat: set[str] = set()

    def clashes(self, person: Candidate, members: Iterable[Candidate]) -> bool:
        return self.history.clashes(person.user_id, (m.user_id for m in members))

    def run(self) -> None:
        self._split_by_theme()
        self._join_existing_groups()
        self._start_groups_from_set_aside()
        self._join_existing_groups()

    # --- step 1: one theme at a time, most common first ------------------------------------

    def _split_by_theme(self) -> None:
        unplaced = list(self.people)
        done_themes: set[str] = set()
        while True:
            counts = Counter(t for c in unplaced for t in c.themes if t not in done_themes)
            common = [(count, theme) for theme, count in counts.items() if count >= self.min_size]
            if not common:
                break
            theme = min(common, key=lambda ct: (-ct[0], ct[1]))[1]
            done_themes.add(theme)
            bucket = [c for c in unplaced if theme in c.themes]
            unplaced = [c for c in unplaced if theme not in c.themes]
            unplaced.extend(self._split_bucket(theme, bucket))
            unplaced.sort(key=lambda c: self.rank[c.user_id])
        self.set_aside = unplaced

    def _split_bucket(self, theme: str, bucket: list[Candidate]) -> list[Candidate]:
        """Cut a theme's people into groups; returns those who could not be placed."""
        sizes: list[int] = []
        for usable in range(len(bucket), self.min_size - 1, -1):
            sizes = feasible_sizes(usable, self.min_size, self.max_size)
            if sizes:
                break
        waiting = deque(self._order_for_chunks(theme, bucket))
        drafts: list[_Draft] = []
        ever_deferred: set[str] = set()
        for size in sizes:
            members: list[Candidate] = []
            deferred: list[Candidate] = []
            # Someone recently grouped with a member already in this chunk waits for the next
            # chunk instead; the bound keeps a pathological history from making this quadratic.
            while len(members) < size and waiting and len(deferred) <= 2 * self.max_size:
                person = waiting.popleft()
                if self.clashes(person, members):
                    deferred.append(person)
                else:
                    members.append(person)
            waiting.extendleft(reversed(deferred))
            ever_deferred.update(p.user_id for p in deferred)
            drafts.append(_Draft(members))

        left = list(waiting)
        self.blocked_by_repeat.update(p.user_id for p in left if p.user_id in ever_deferred)
        viable = []
        for draft in drafts:
            if len(draft.members) >= self.min_size:
                viable.append(draft)
            else:
                left.extend(draft.members)
        self._mix_affiliations(viable)
        self.groups.extend(viable)
        return left

    def _order_for_chunks(self, theme: str, bucket: list[Candidate]) -> list[Candidate]:
        """People with the same other themes next to each other, affiliations interleaved."""
        by_signature: dict[tuple[str, ...], list[Candidate]] = defaultdict(list)
        for person in sorted(bucket, key=lambda c: self.rank[c.user_id]):
            by_signature[tuple(sorted(person.themes - {theme}))].append(person)
        ordered: list[Candidate] = []
        for signature in sorted(by_signature):
            same = by_signature[signature]
            kind_sizes = Counter(p.affiliation for p in same)
            seen_of_kind: Counter[str | None] = Counter()
            spread_key: dict[str, tuple[float, int]] = {}
            for person in same:
                # Spreading each kind evenly along the run (the i-th of k at (i + 0.5) / k)
                # makes consecutive chunks of the run mixed.
                position = (seen_of_kind[person.affiliation] + 0.5) / kind_sizes[person.affiliation]
                seen_of_kind[person.affiliation] += 1
                spread_key[person.user_id] = (position, self.rank[person.user_id])
            ordered.extend(sorted(same, key=lambda p: spread_key[p.user_id]))
        return ordered

    def _mix_affiliations(self, drafts: list[_Draft]) -> None:
        """Swap members between nearby groups when it mixes affiliations at no cost in themes."""
        for _ in range(_MIX_PASSES):
            improved = False
            for i, draft in enumerate(drafts):
                if _imbalance(draft.members) <= 1:
                    continue
                nearby = drafts[max(0, i - _MIX_WINDOW) : i] + drafts[i + 1 : i + 1 + _MIX_WINDOW]
                for other in nearby:
                    if self._try_mixing_swap(draft, other):
                        improved = True
                        break
            if not improved:
                return

    def _try_mixing_swap(self, draft: _Draft, other: _Draft) -> bool:
        before_imbalance = _imbalance(draft.members) + _imbalance(other.members)
        before_shared = len(draft.shared) + len(other.shared)
        for mine in list(draft.members):
            for theirs in list(other.members):
                if mine.affiliation == theirs.affiliation:
                    continue
                mine_rest = [m for m in draft.members if m is not mine]
                theirs_rest = [m for m in other.members if m is not theirs]
                if self.clashes(theirs, mine_rest) or self.clashes(mine, theirs_rest):
                    continue
                new_mine, new_theirs = mine_rest + [theirs], theirs_rest + [mine]
                if _imbalance(new_mine) + _imbalance(new_theirs) >= before_imbalance:
                    continue
                shared_mine = frozenset.intersection(*(m.themes for m in new_mine))
                shared_theirs = frozenset.intersection(*(m.themes for m in new_theirs))
                if len(shared_mine) + len(shared_theirs) < before_shared or not shared_mine or not shared_theirs:
                    continue
                draft.replace(new_mine)
                other.replace(new_theirs)
                return True
        return False

    # --- step 2: odd people join a group that stays within max_size ------------------------

    def _join_existing_groups(self) -> None:
        still_aside: list[Candidate] = []
        for person in self.set_aside:
            best: _Draft | None = None
            best_key: tuple[int, int, int] | None = None
            for draft in self.groups:
                if len(draft.members) >= self.max_size or not (draft.shared & person.themes):
                    continue
                if self.clashes(person, draft.members):
                    self.blocked_by_repeat.add(person.user_id)
                    continue
                key = (
                    -len(draft.shared & person.themes),
                    len(draft.members),
                    _imbalance(draft.members + [person]),
                )
                if best_key is None or key < best_key:
                    best, best_key = draft, key
            if best is None:
                still_aside.append(person)
            else:
                best.add(person)
        self.set_aside = still_aside

    # --- step 3: start new groups from people set aside, borrowing spare members ------------

    def _start_groups_from_set_aside(self) -> None:
        taken: set[str] = set()
        for person in list(self.set_aside):
            if person.user_id in taken:
                continue  # already in a group started for someone earlier
            possible_themes = [t for t in person.themes if len(self.theme_members[t]) >= self.min_size]
            for theme in sorted(possible_themes, key=lambda t: (-len(self.theme_members[t]), t)):
                started = self._try_start_group(person, theme)
                if started:
                    taken.update(started)
                    self.set_aside = [c for c in self.set_aside if c.user_id not in started]
                    break

    def _try_start_group(self, person: Candidate, theme: str) -> set[str]:
        """Start a group around ``person`` on ``theme``; returns its members' ids, or nothing."""
        if len(self.theme_members[theme] - self.history.partners(person.user_id)) < self.min_size:
            # Quick exit, so that a long recent grouping does not make this quadratic.
            self.blocked_by_repeat.add(person.user_id)
            return set()
        chosen = [person]
        skipped_as_repeat = 0
        for other in self.set_aside:
            if len(chosen) == self.max_size:
                break
            if other is person or theme not in other.themes:
                continue
            if self.clashes(other, chosen):
                skipped_as_repeat += 1
                continue
            chosen.append(other)
        borrowed: list[tuple[Candidate, _Draft]] = []
        if len(chosen) < self.min_size:
            for draft in sorted(self.groups, key=lambda d: -len(d.members)):
                spare = len(draft.members) - self.min_size
                for member in draft.members:
                    if spare <= 0 or len(chosen) == self.min_size:
                        break
                    if theme not in member.themes:
                        continue
                    if self.clashes(member, chosen):
                        skipped_as_repeat += 1
                        continue
                    chosen.append(member)
                    borrowed.append((member, draft))
                    spare -= 1
        if len(chosen) < self.min_size:
            if len(chosen) + skipped_as_repeat >= self.min_size:
                self.blocked_by_repeat.add(person.user_id)
            return set()
        for member, draft in borrowed:
            draft.remove(member)
        self.groups.append(_Draft(chosen))
        return {c.user_id for c in chosen}


def _reason(person: Candidate, in_region: int, online_elsewhere: int, blocked: set[str],
            min_size: int) -> UnmatchedReason:
    """Why a person was left out. Within reach: their whole region, plus the online pool from other regions."""
    within_reach = in_region + (online_elsewhere if person.online_ok else 0)
    if within_reach < min_size:
        return UnmatchedReason.TOO_FEW_NEARBY
    if person.user_id in blocked:
        return UnmatchedReason.WOULD_REPEAT
    return UnmatchedReason.NO_SHARED_THEME


def propose_groups(
    candidates: Sequence[Candidate],
    recent_groupings: Iterable[frozenset[str]],
    min_size: int = 3,
    max_size: int = 6,
    seed: int | str = 0,
) -> MatchResult:
    """Propose study groups following the module's rule."""
    if min_size < 2 or max_size < min_size:
        raise ValueError(f"group size bounds must satisfy 2 <= min <= max, got {min_size}..{max_size}")
    user_ids = [c.user_id for c in candidates]
    if len(set(user_ids)) != len(user_ids):
        raise ValueError("each candidate may appear only once")

    shuffled = sorted(user_ids)
    random.Random(seed).shuffle(shuffled)
    rank = {user_id: position for position, user_id in enumerate(shuffled)}
    history = _History(recent_groupings, set(user_ids))

    by_bureau: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_bureau[candidate.bureau].append(candidate)

    groups: list[ProposedGroup] = []
    not_placed: list[Candidate] = []
    blocked: set[str] = set()

    def collect(pool_name: str, matcher: _PoolMatcher) -> None:
        matcher.run()
        groups.extend(ProposedGroup(members=tuple(sorted(m.user_id for m in draft.members)), bureau=pool_name,
                                    shared_themes=draft.shared) for draft in matcher.groups)
        blocked.update(matcher.blocked_by_repeat)

    online_pool: list[Candidate] = []
    for bureau in sorted(by_bureau):
        matcher = _PoolMatcher(by_bureau[bureau], history, rank, min_size, max_size)
        collect(bureau, matcher)
        online_pool.extend(p for p in matcher.set_aside if p.online_ok)
        not_placed.extend(p for p in matcher.set_aside if not p.online_ok)

    online_matcher = _PoolMatcher(online_pool, history, rank, min_size, max_size)
    collect(ONLINE, online_matcher)
    not_placed.extend(online_matcher.set_aside)

    online_from = Counter(c.bureau for c in online_pool)
    unmatched = [Unmatched(p.user_id, _reason(p, len(by_bureau[p.bureau]), len(online_pool) - online_from[p.bureau],
                                              blocked, min_size))
                 for p in sorted(not_placed, key=lambda c: c.user_id)]
    return MatchResult(groups=groups, unmatched=unmatched)
