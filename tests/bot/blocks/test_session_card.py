"""A session card tells a held seat from a confirmed place: the decision comes at the deadline."""

from __future__ import annotations

import pytest

from bot.sessions.blocks import build_session_card
from bot.sessions.results import SessionSummary
from tests.bot.blocks.test_home import JST, case, session


@pytest.mark.parametrize("lang, held, confirmed", [
    ("ja", ("申込み済み", "申込み 3/定員 30人"), ("✅ 参加確定", "参加確定 3/30人")),
    ("en", ("Registered (your seat is held", "Registered 3 of 30 seats"), ("✅ Confirmed", "Confirmed 3/30")),
])
def test_a_seat_before_the_deadline_is_held_and_after_the_decision_confirmed(lang, held, confirmed):
    before = str(build_session_card(SessionSummary(session(1, "open"), case(1), 3, 0, "confirmed"), lang, JST))
    assert all(part in before for part in held) and confirmed[0] not in before
    after = str(build_session_card(SessionSummary(session(1, "confirmed"), case(1), 3, 0, "confirmed"), lang, JST))
    assert all(part in after for part in confirmed) and held[0] not in after
