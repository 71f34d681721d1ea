"""Verdicts for Web API answers: what is retried, what fails for good, what needs reconciling."""

import asyncio

import aiohttp
import pytest

from bot.delivery.sending import METADATA_EVENT_TYPE, carries_key, classify_answer, classify_exception


def test_ok():
    assert classify_answer(200, {"ok": True, "ts": "1.2"}).ok


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "channel_not_found", "is_archived",
                                   "not_in_channel", "invalid_blocks", "some_future_error"])
def test_permanent_errors_fail(error):
    result = classify_answer(200, {"ok": False, "error": error})
    assert (result.verdict, result.error, result.outcome_unknown) == ("failed", error, False)


def test_a_429_waits_for_retry_after_and_certainly_had_no_effect():
    result = classify_answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
    assert (result.verdict, result.retry_after, result.outcome_unknown) == ("retry", 7.0, False)


def test_a_503_is_retried_and_had_no_effect():
    result = classify_answer(503, {"ok": False, "error": "service_unavailable"}, {"Retry-After": "1"})
    assert (result.verdict, result.outcome_unknown) == ("retry", False)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_may_have_had_an_effect(status):
    result = classify_answer(status, {})
    assert (result.verdict, result.outcome_unknown) == ("retry", True)


def test_transport_errors():
    lost = classify_exception(aiohttp.ServerDisconnectedError())
    timeout = classify_exception(asyncio.TimeoutError())
    assert (lost.verdict, lost.outcome_unknown) == ("retry", True)
    assert (timeout.verdict, timeout.outcome_unknown) == ("retry", True)


def test_only_our_metadata_with_the_same_key_matches():
    ours = {"metadata": {"event_type": METADATA_EVENT_TYPE, "event_payload": {"dedupe_key": "k1"}}}
    assert carries_key(ours, "k1")
    assert not carries_key(ours, "k2")
    assert not carries_key({"metadata": {"event_type": "other", "event_payload": {"dedupe_key": "k1"}}}, "k1")
    assert not carries_key({"text": "no metadata"}, "k1")
