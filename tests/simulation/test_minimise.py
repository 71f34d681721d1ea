"""The minimiser of printed sequences: it keeps exactly what a violation needs."""

from hypothesis import given, strategies as st

from tests.simulation.minimise import minimise, read_steps

RULES = ("join", "leave", "clock", "look", "check_in")


@given(st.lists(st.tuples(st.sampled_from(RULES), st.fixed_dictionaries({"n": st.integers(0, 3)})), max_size=40),
       st.data())
def test_minimise_keeps_only_the_steps_a_violation_needs(steps, data):
    needed = data.draw(st.lists(st.sampled_from(range(len(steps))), unique=True, max_size=3)) if steps else []
    wanted = [steps[i] for i in sorted(needed)]

    def still_breaks(trial):  # "breaks" when the needed steps are all there, in order
        position = 0
        for step in trial:
            if position < len(wanted) and step == wanted[position]:
                position += 1
        return position == len(wanted)

    shortest = minimise(list(steps), still_breaks)
    assert still_breaks(shortest)
    assert len(shortest) <= max(1, len(wanted))


def test_read_steps_reads_what_hypothesis_prints():
    report = ("noise\nFailing test case: <state machine>\nstate = YearSimulation()\nstate.poll_groups_formed()\n"
              "state.everything_that_must_hold()\nstate.join(confirm=False, person='UC09', session='S1')\n"
              "state.clock(by='1w')\nstate.teardown()\n")
    assert read_steps(report) == [("poll_groups_formed", {}),
                                  ("join", {"confirm": False, "person": "UC09", "session": "S1"}),
                                  ("clock", {"by": "1w"})]
