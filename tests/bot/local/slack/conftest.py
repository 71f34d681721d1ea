import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.slack import FakeSlack, ManualMonotonic


@pytest.fixture
def monotonic() -> ManualMonotonic:
    return ManualMonotonic()


@pytest.fixture
async def fake(monotonic):
    slack = FakeSlack(monotonic=monotonic)
    await slack.start()
    slack.add_user("U1", "tanaka", "田中 花子")
    slack.add_user("U2", "suzuki", "鈴木 一郎", locale="en-US")
    yield slack
    await slack.stop()


@pytest.fixture
def client(fake) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-local", base_url=fake.base_url)
