"""The personal-data check of free-text survey answers, and the proposal message, without Slack."""

from __future__ import annotations

from datetime import date

from bot import ids
from bot.local.slack.blockkit import validate_message_blocks
from bot.surveys.blocks import build_text_proposal
from bot.surveys.dialog import MAX_TEXT_LENGTH
from bot.surveys.service import screen_answer

TODAY = date(2027, 5, 20)


def test_a_phone_number_and_a_name_get_a_proposal_and_a_clean_text_none():
    proposal = screen_answer("  田中太郎さんの電話は090-1234-5678です。  ", TODAY, "ja")
    assert proposal is not None and "090-1234-5678" not in proposal.text and "田中太郎" not in proposal.text
    assert {r.kind for r in proposal.replacements} >= {"phone", "person_name"}
    assert screen_answer("グループ討議の時間がもう少し長いとよかったです。", TODAY, "ja") is None


def test_texts_the_dialog_refuses_anyway_are_not_checked():
    assert screen_answer("   ", TODAY, "ja") is None
    assert screen_answer("090-1234-5678 " * (MAX_TEXT_LENGTH // 10), TODAY, "ja") is None


def test_the_proposal_message_carries_both_texts_and_the_three_choices():
    original = "電話 090-1234-5678 <b>&"
    proposal = screen_answer(original, TODAY, "ja")
    for lang in ("ja", "en"):
        blocks = build_text_proposal("R1", "comments", original, proposal, lang)
        assert validate_message_blocks(blocks) == []
        by_id = {b.get("block_id"): b for b in blocks}
        # Plain text: read back exactly as written, no mrkdwn escaping to undo.
        assert by_id[ids.SURVEY_ORIGINAL_BLOCK]["text"] == {"type": "plain_text", "text": original, "emoji": False}
        assert by_id[ids.SURVEY_PROPOSAL_BLOCK]["text"]["text"] == proposal.text
        actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert actions == [ids.SURVEY_TEXT_USE_PROPOSAL, ids.SURVEY_TEXT_EDIT, ids.SURVEY_TEXT_KEEP]
        confirming = build_text_proposal("R1", "comments", original, proposal, lang, confirming=True)
        actions = [e["action_id"] for b in confirming if b["type"] == "actions" for e in b["elements"]]
        assert actions == [ids.SURVEY_TEXT_KEEP_CONFIRM, ids.SURVEY_TEXT_KEEP_BACK]
