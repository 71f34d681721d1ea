"""The local Slack: one fake for the console, the demo and the tests.

``FakeSlack`` stands in for the Web API (its core in ``server``, a module per family of methods:
``chat``, ``conversations``, ``views``, ``files``, ``users``; ``faults`` for a bad day at Slack),
``SlackDriver`` plays Slack's side (signed commands, clicks, submissions, events), ``render``
shows Block Kit in a terminal, and ``blockkit`` holds Slack's limits as pure checks for builders'
unit tests.
"""

from bot.local.slack.blockkit import validate_message_blocks, validate_view
from bot.local.slack.driver import (DispatchResult, Reply, SettleTimeout, SlackDriver, dispatch_over_http,
                                    dispatch_to_app, sign)
from bot.local.slack.render import Control, Rendered, render_blocks, render_message, render_view
from bot.local.slack.server import Activity, Call, FakeSlack, ManualMonotonic, ResponseRecord

__all__ = [
    "Activity",
    "Call",
    "Control",
    "DispatchResult",
    "FakeSlack",
    "ManualMonotonic",
    "Rendered",
    "Reply",
    "ResponseRecord",
    "SettleTimeout",
    "SlackDriver",
    "dispatch_over_http",
    "dispatch_to_app",
    "render_blocks",
    "render_message",
    "render_view",
    "sign",
    "validate_message_blocks",
    "validate_view",
]
