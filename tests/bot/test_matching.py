import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.matching import ONLINE, Candidate, MatchResult, UnmatchedReason, propose_groups

MEDICAL, IMMIGRATION, EDUCATION, LABOR = "medical_welfare", "immigration", "education", "labor"


def candidate(user_id, bureau="osaka", themes=(MEDICAL,), affiliation="public", online_ok=False) -> Candidate:
    return Candidate(user_id, bureau, frozenset(themes), affiliation, online_ok)


def everyone_in(result: MatchResult) -> list[str]:
    return [m for group in result.groups for m in group.members] + [u.user_id for u in result.unmatched]


def group_of(result: MatchResult, user_id: str):
    return next(group for group in result.groups if user_id in group.members)


def test_ten_coordinators_in_osaka_sharing_themes_form_groups_with_nobody_left_out():
    candidates = [
        candidate(
            f"U{i}",
            themes=(MEDICAL, EDUCATION) if i % 2 else (MEDICAL,),
            affiliation="private" if i % 3 == 0 else "public",
        )
        for i in range(10)
    ]
    result = propose_groups(candidates, [])
    assert len(result.groups) >= 2
    assert result.unmatched == []
    assert sorted(everyone_in(result)) == sorted(c.user_id for c in candidates)
    for group in result.groups:
        assert group.bureau == "osaka"
        assert MEDICAL in group.shared_themes
        assert 3 <= len(group.members) <= 6


def test_seven_people_make_a_four_and_a_three_not_six_and_one():
    result = propose_groups([candidate(f"U{i}") for i in range(7)], [])
    assert sorted(len(group.members) for group in result.groups) == [3, 4]
    assert result.unmatched == []


def test_people_from_a_recent_grouping_are_not_put_together_again():
    candidates = [candidate(f"U{i}") for i in range(6)]
    result = propose_groups(candidates, [frozenset({"U0", "U1", "X9"})])
    assert group_of(result, "U0") is not group_of(result, "U1")
    assert result.unmatched == []


def test_a_group_that_overlaps_a_recent_one_in_two_people_counts_as_a_repeat():
    # Three people, two of whom were grouped recently: the only possible group is a repeat.
    candidates = [candidate(f"U{i}", bureau="sapporo") for i in range(3)]
    result = propose_groups(candidates, [frozenset({"U0", "U1", "U7", "U8"})])
    assert result.groups == []
    assert {u.user_id: u.reason for u in result.unmatched} == dict.fromkeys(
        ["U0", "U1", "U2"], UnmatchedReason.WOULD_REPEAT
    )


def test_overlap_of_one_person_with_a_recent_grouping_is_allowed():
    candidates = [candidate(f"U{i}", bureau="sendai") for i in range(3)]
    result = propose_groups(candidates, [frozenset({"U0", "U5", "U6"})])
    assert [sorted(group.members) for group in result.groups] == [["U0", "U1", "U2"]]


def test_a_lone_person_far_away_who_cannot_go_online_is_too_few_nearby():
    osaka = [candidate(f"U{i}") for i in range(5)]
    lone = candidate("FAR", bureau="sapporo", online_ok=False)
    result = propose_groups([*osaka, lone], [])
    assert [(u.user_id, u.reason) for u in result.unmatched] == [("FAR", UnmatchedReason.TOO_FEW_NEARBY)]


def test_a_lone_person_who_can_go_online_joins_an_online_group():
    lone = candidate("FAR", bureau="sapporo", online_ok=True)
    others = [candidate("T1", bureau="takamatsu", online_ok=True), candidate("H1", bureau="hiroshima", online_ok=True)]
    result = propose_groups([lone, *others], [])
    assert result.unmatched == []
    (group,) = result.groups
    assert group.bureau == ONLINE
    assert sorted(group.members) == ["FAR", "H1", "T1"]
    assert group.shared_themes == frozenset({MEDICAL})


def test_people_who_meet_in_their_region_are_not_moved_online():
    osaka = [candidate(f"U{i}", online_ok=True) for i in range(4)]
    result = propose_groups(osaka, [])
    assert [group.bureau for group in result.groups] == ["osaka"]


def test_someone_sharing_no_theme_with_enough_people_is_reported_as_such():
    osaka = [candidate(f"U{i}") for i in range(4)] + [candidate("LABOR", themes=(LABOR,))]
    result = propose_groups(osaka, [])
    assert [(u.user_id, u.reason) for u in result.unmatched] == [("LABOR", UnmatchedReason.NO_SHARED_THEME)]


def test_an_odd_person_joins_an_existing_group_with_a_theme_in_common():
    both = [candidate(f"P{i}", themes=(MEDICAL, EDUCATION)) for i in range(5)]
    medical_only = [candidate(f"Q{i}", themes=(MEDICAL,)) for i in range(5)]
    education_only = candidate("X", themes=(EDUCATION,))
    result = propose_groups([*both, *medical_only, education_only], [])
    assert result.unmatched == []
    group = group_of(result, "X")
    assert len(group.members) == 6
    assert EDUCATION in group.shared_themes


def test_groups_share_as_many_themes_as_the_people_allow():
    # Six share medical+education, six share medical+labor: keeping each kind together gives
    # every group two shared themes instead of one.
    education = [candidate(f"E{i}", themes=(MEDICAL, EDUCATION)) for i in range(6)]
    labor = [candidate(f"L{i}", themes=(MEDICAL, LABOR)) for i in range(6)]
    result = propose_groups([*education, *labor], [], seed=3)
    assert sorted(group.shared_themes for group in result.groups) == sorted(
        [frozenset({MEDICAL, EDUCATION}), frozenset({MEDICAL, LABOR})]
    )


def test_affiliations_are_mixed_when_themes_allow():
    candidates = [candidate(f"U{i}", affiliation="public" if i < 6 else "private") for i in range(12)]
    result = propose_groups(candidates, [])
    affiliation_of = {c.user_id: c.affiliation for c in candidates}
    for group in result.groups:
        kinds = [affiliation_of[m] for m in group.members]
        assert kinds.count("public") == kinds.count("private")


def test_same_seed_same_proposal_whatever_the_input_order():
    rng = random.Random(5)
    candidates = [
        candidate(f"U{i}", bureau=rng.choice(["osaka", "tokyo"]), themes=rng.sample([MEDICAL, EDUCATION, LABOR], 2))
        for i in range(40)
    ]
    reordered = candidates[:]
    rng.shuffle(reordered)
    recent = [frozenset({"U1", "U2", "U3"}), frozenset({"U4", "U9"})]
    assert propose_groups(candidates, recent, seed=11) == propose_groups(reordered, recent, seed=11)


def test_invalid_input_is_rejected():
    with pytest.raises(ValueError):
        propose_groups([candidate("U1"), candidate("U1")], [])
    with pytest.raises(ValueError):
        propose_groups([candidate("U1")], [], min_size=1)
    with pytest.raises(ValueError):
        propose_groups([candidate("U1")], [], min_size=4, max_size=3)


def check_invariants(candidates: list[Candidate], recent: list[frozenset[str]], result: MatchResult) -> None:
    placed = everyone_in(result)
    assert sorted(placed) == sorted(c.user_id for c in candidates)
    by_id = {c.user_id: c for c in candidates}
    for group in result.groups:
        members = [by_id[m] for m in group.members]
        assert 3 <= len(members) <= 6
        assert group.shared_themes
        assert group.shared_themes == frozenset.intersection(*(m.themes for m in members))
        if group.bureau == ONLINE:
            assert all(m.online_ok for m in members)
        else:
            assert all(m.bureau == group.bureau for m in members)
        for grouping in recent:
            assert len(grouping & set(group.members)) < 2


candidate_lists = st.lists(
    st.builds(
        Candidate,
        user_id=st.just(""),
        bureau=st.sampled_from(["osaka", "tokyo", "sapporo", "takamatsu"]),
        themes=st.frozensets(st.sampled_from([MEDICAL, IMMIGRATION, EDUCATION, LABOR]), max_size=3),
        affiliation=st.sampled_from(["public", "private", None]),
        online_ok=st.booleans(),
    ),
    max_size=60,
).map(lambda cs: [Candidate(f"U{i}", c.bureau, c.themes, c.affiliation, c.online_ok) for i, c in enumerate(cs)])


@settings(max_examples=300, deadline=None)
@given(candidates=candidate_lists, data=st.data(), seed=st.integers())
def test_everyone_appears_once_and_every_group_keeps_the_rules(candidates, data, seed):
    # Recent groupings may also name people who are not candidates now.
    ids = [c.user_id for c in candidates] + ["GONE1", "GONE2"]
    recent = data.draw(st.lists(st.frozensets(st.sampled_from(ids), min_size=2, max_size=4), max_size=15))
    result = propose_groups(candidates, recent, seed=seed)
    check_invariants(candidates, recent, result)


def test_two_thousand_candidates_are_all_accounted_for():
    rng = random.Random(2026)
    themes = [MEDICAL, IMMIGRATION, EDUCATION, LABOR, "family_dv", "public_services", "culture_religion", "other"]
    bureaus = ["sapporo", "sendai", "tokyo", "nagoya", "osaka", "hiroshima", "takamatsu", "fukuoka"]
    candidates = [
        Candidate(
            f"U{i:04d}",
            rng.choices(bureaus, weights=[1, 1, 8, 3, 4, 1, 1, 2])[0],
            frozenset(rng.sample(themes, rng.randint(1, 3))),
            rng.choice(["public", "private", None]),
            rng.random() < 0.5,
        )
        for i in range(2000)
    ]
    ids = [c.user_id for c in candidates]
    recent = [frozenset(rng.sample(ids, 4)) for _ in range(400)]
    result = propose_groups(candidates, recent, seed="2026-06")
    check_invariants(candidates, recent, result)
    assert len(result.unmatched) < 20
