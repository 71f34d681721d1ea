"""A listener that acks and then fails (Slack answers a later call with an error) still answered the
press: Bolt's runner sets the ack back to None after its error handler, and without the ack kept the
press was answered 404 after Bolt's whole ack wait (found by the year simulator, invariant 9)."""

from __future__ import annotations

from slack_bolt.response import BoltResponse

from bot.observability import ObservedAck


async def test_a_listener_failing_after_its_ack_still_answers_200(ws):
    @ws.app.action("test_ack_then_fail")
    async def ack_then_fail(ack):
        await ack()
        raise RuntimeError("Slack answered 500 after the ack")

    # On the Home tab: no response_url, so nothing in the error handler waits before Bolt resets the ack.
    home = {"type": "home", "id": "VHOME1", "blocks": [
        {"type": "actions", "block_id": "b", "elements": [
            {"type": "button", "action_id": "test_ack_then_fail", "text": {"type": "plain_text", "text": "押す"},
             "value": "x"}]}]}
    reply = await ws.driver.click("UADMIN01", "test_ack_then_fail", "x", view=home)

    assert reply.status == 200


async def test_an_ack_once_given_is_not_taken_back():
    async def on_ack(_arguments):
        return None

    ack = ObservedAck(on_ack)
    assert ack.response is None
    given = await ack()
    ack.response = None  # what Bolt's runner does after a listener that acked then raised
    assert isinstance(given, BoltResponse) and ack.response is given and ack.response.status == 200
