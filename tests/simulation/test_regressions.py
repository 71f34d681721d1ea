"""Sequences the year simulator found and shrank, kept as regular tests: each is the printed
sequence, run through the same machine, with every invariant checked after every step."""

from __future__ import annotations

from tests.simulation.machine import YearSimulation


def test_bureau_staff_help_names_their_bureau_not_its_code():
    """Invariant 6: `/jirei help` for Tokyo's bureau staff said 「担当地方局: tokyo」."""
    state = YearSimulation()
    try:
        state.everything_that_must_hold()
        state.look(person='USTAFFTKY', what='help')
        state.everything_that_must_hold()
    finally:
        state.teardown()


# The two below are faults of the real-year issue, fixed before the simulator existed: run on the code
# with its fix taken out, each sequence breaks the invariant named (tests/simulation/REVERTS.md).


def test_announcing_again_states_only_the_invitations_it_queues():
    """Invariant 5: announcing a session again said 「まだ届いていない 2 人に送ります」 and queued none."""
    state = YearSimulation()
    try:
        state.everything_that_must_hold()
        state.case_new(theme='教育', lecturer=False)
        state.everything_that_must_hold()
        state.session_new(case='C1', bureau='tokyo', days=30, capacity=5, minimum=1, by_staff=False, announce=True)
        state.everything_that_must_hold()
        state.announce(session='S1', by_staff=False)
        state.everything_that_must_hold()
    finally:
        state.teardown()


def test_a_press_on_the_check_in_sheet_records_attendance():
    """Invariant 9: a press on the check-in sheet left the participant `confirmed`."""
    state = YearSimulation()
    try:
        state.everything_that_must_hold()
        state.case_new(theme='教育', lecturer=False)
        state.everything_that_must_hold()
        state.session_new(case='C1', bureau='sapporo', days=9, capacity=5, minimum=1, by_staff=False, announce=True)
        state.everything_that_must_hold()
        state.join(person='UC01', session='S1', confirm=True)
        state.everything_that_must_hold()
        state.clock(by='1w')
        state.everything_that_must_hold()
        state.check_in(session='S1', pick=0, undo=False)  # too early: the bot says so
        state.everything_that_must_hold()
        state.clock(by='1d')
        state.everything_that_must_hold()
        state.clock(by='1d')
        state.everything_that_must_hold()
        state.clock(by='6h')  # the session's day, an hour after its start
        state.everything_that_must_hold()
        state.check_in(session='S1', pick=0, undo=False)
        state.everything_that_must_hold()
    finally:
        state.teardown()


def test_a_date_poll_answered_in_the_channel_and_by_dm_then_closed_takes_no_old_answer():
    """Invariants 9 and 13 over the date-poll rules (not a fault found: the path written as the simulator
    would print it, so CI runs it whatever the random years draw): answers in the table and in a DM, the
    close into a self-run session, then old selects of the DM and the table pressed after the close."""
    state = YearSimulation()
    try:
        state.everything_that_must_hold()
        state.poll_group(members=('UC01', 'UC02', 'UC03'))
        state.everything_that_must_hold()
        state.poll_open(pick=0, when='later')
        state.everything_that_must_hold()
        state.poll_answer(poll_pick=0, person_pick=1, slot_pick=0, choice='yes', where='channel', stale=False)
        state.everything_that_must_hold()
        state.poll_answer(poll_pick=0, person_pick=2, slot_pick=1, choice='no', where='dm', stale=False)
        state.everything_that_must_hold()
        state.poll_answer(poll_pick=0, person_pick=2, slot_pick=1, choice='maybe', where='channel', stale=False)
        state.everything_that_must_hold()
        state.clock(by='15m')
        state.everything_that_must_hold()
        state.poll_close(poll_pick=0, slot_pick=0, outcome='session')
        state.everything_that_must_hold()
        state.poll_answer(poll_pick=0, person_pick=2, slot_pick=1, choice='yes', where='dm', stale=True)
        state.everything_that_must_hold()
        state.poll_answer(poll_pick=0, person_pick=1, slot_pick=1, choice='no', where='channel', stale=True)
        state.everything_that_must_hold()
        state.clock(by='1d')
        state.everything_that_must_hold()
        async def read():
            async with state.ws.deps.uow(read_only=True) as uow:
                poll = await uow.date_polls.get(1)
                return poll, await state._poll_answers(1)
        poll, answers = state.run(read())
        assert (poll.status, poll.outcome) == ("closed", "session") and poll.session_id is not None
        assert answers == {("UC02", 1): "yes", ("UC03", 2): "maybe"}
    finally:
        state.teardown()


def test_a_change_notice_still_waiting_when_its_session_is_cancelled_is_superseded():
    """Invariant 3 (the model, not the bot): a change notice Slack refused once waits for its retry; the
    session is cancelled meanwhile, so the bot drops it for the cancellation notice. The invariant owed it
    still (a 5-year soak, seed 407)."""
    state = YearSimulation()
    try:
        state.everything_that_must_hold()
        state.case_new(theme='教育', lecturer=False)
        state.everything_that_must_hold()
        state.session_new(case='C1', bureau='tokyo', days=30, capacity=5, minimum=1, by_staff=False, announce=True)
        state.everything_that_must_hold()
        state.join(person='UC01', session='S1', confirm=True)
        state.everything_that_must_hold()
        state.slack_hiccup(method='chat.postMessage')
        state.everything_that_must_hold()
        state.edit(session='S1', change='minutes', by_staff=False)
        state.everything_that_must_hold()
        state.cancel(session='S1', reason='')
        state.everything_that_must_hold()
    finally:
        state.teardown()
