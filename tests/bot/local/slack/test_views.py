"""views.*: triggers, modal stacks, Home tabs, Block Kit limits."""

import pytest
from slack_sdk.errors import SlackApiError

from tests.bot.local.slack.support import section


async def test_trigger_must_be_issued_fresh_and_unused(fake, client, monotonic):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "参加登録"},
             "blocks": [section("ok")]}
    trigger = fake.issue_trigger("U1")
    opened = await client.views_open(trigger_id=trigger, view=modal)
    with pytest.raises(SlackApiError) as reused:
        await client.views_open(trigger_id=trigger, view=modal)
    stale = fake.issue_trigger("U1")
    monotonic.advance(3.0)
    with pytest.raises(SlackApiError) as expired:
        await client.views_open(trigger_id=stale, view=modal)
    with pytest.raises(SlackApiError) as invented:
        await client.views_open(trigger_id="123.456.abc", view=modal)

    assert opened["view"]["id"].startswith("V") and fake.current_view("U1")["id"] == opened["view"]["id"]
    assert reused.value.response["error"] == "exchanged_trigger_id"
    assert expired.value.response["error"] == "expired_trigger_id"
    assert invented.value.response["error"] == "invalid_trigger_id"


async def test_views_update_push_publish(fake, client):
    def modal(title: str) -> dict:
        return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [section(title)]}

    opened = await client.views_open(trigger_id=fake.issue_trigger("U1"), view=modal("one"))
    view_id = opened["view"]["id"]
    await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=modal("two"))
    with pytest.raises(SlackApiError) as conflict:
        await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=modal("three"))
    await client.views_push(trigger_id=fake.issue_trigger("U1"), view=modal("pushed"))
    home = {"type": "home", "blocks": [section("ホーム")]}
    await client.views_publish(user_id="U1", view=home)

    assert conflict.value.response["error"] == "hash_conflict"
    assert [v["title"]["text"] for v in fake.modal_stack("U1")] == ["two", "pushed"]
    assert fake.home_view("U1")["blocks"][0]["text"]["text"] == "ホーム"


async def test_view_over_the_limits_is_refused(fake, client):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": [section("ok")]}
    with pytest.raises(SlackApiError) as refused:
        await client.views_open(trigger_id=fake.issue_trigger("U1"), view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert any("/view/title/text" in e for e in refused.value.response["errors"])
    assert fake.violations and fake.current_view("U1") is None
