from bot.local.slack.blockkit import validate_message_blocks, validate_view


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def button(action_id: str, text: str = "押す", **extra) -> dict:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def modal(**overrides) -> dict:
    view = {"type": "modal", "title": plain("参加登録"), "submit": plain("登録"), "blocks": [
        {"type": "input", "block_id": "name", "label": plain("氏名"),
         "element": {"type": "plain_text_input", "action_id": "value"}}]}
    view.update(overrides)
    return view


def test_a_well_formed_message_passes():
    blocks = [
        {"type": "header", "text": plain("事例検討会のご案内")},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*第3回*"}, "fields": [plain("日時"), plain("会場")]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "東京局"}]},
        {"type": "divider"},
        {"type": "actions", "block_id": "card", "elements": [button("join", value="S3"), button("decline")]},
    ]
    assert validate_message_blocks(blocks) == []


def test_message_limits():
    assert validate_message_blocks([{"type": "divider"}] * 51) == [
        "no more than 50 items allowed [json-pointer:/blocks]"]
    [header] = validate_message_blocks([{"type": "header", "text": plain("あ" * 151)}])
    assert header == "must be less than 151 characters [json-pointer:/blocks/0/text/text]"
    fields = validate_message_blocks([{"type": "section", "fields": [plain("x")] * 11}])
    assert fields == ["no more than 10 items allowed [json-pointer:/blocks/0/fields]"]
    assert validate_message_blocks([{"type": "context", "elements": [plain("x")] * 11}])
    assert validate_message_blocks([{"type": "actions", "elements": [button(f"a{i}") for i in range(26)]}])


def test_button_limits():
    long_text = validate_message_blocks([{"type": "actions", "elements": [button("a", "x" * 76)]}])
    long_value = validate_message_blocks([{"type": "actions", "elements": [button("a", value="v" * 2001)]}])
    long_url = validate_message_blocks([{"type": "actions", "elements": [button("a", url="https://" + "u" * 3000)]}])
    long_id = validate_message_blocks([{"type": "actions", "elements": [button("a" * 256)]}])
    assert "/blocks/0/elements/0/text/text" in long_text[0]
    assert "/blocks/0/elements/0/value" in long_value[0]
    assert "/blocks/0/elements/0/url" in long_url[0]
    assert "/blocks/0/elements/0/action_id" in long_id[0]


def test_block_ids_are_unique_and_short():
    errors = validate_message_blocks([{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"},
                                      {"type": "divider", "block_id": "b" * 256}])
    assert any("unique" in e and "/blocks/1/block_id" in e for e in errors)
    assert any("/blocks/2/block_id" in e for e in errors)


def test_option_limits():
    options = [{"text": plain(f"o{i}"), "value": str(i)} for i in range(101)]
    select = {"type": "static_select", "action_id": "s", "options": options}
    assert any("no more than 100" in e for e in validate_message_blocks([{"type": "actions", "elements": [select]}]))
    long_option = {"type": "static_select", "action_id": "s", "options": [{"text": plain("x" * 76), "value": "1"}]}
    assert validate_message_blocks([{"type": "actions", "elements": [long_option]}])
    overflow = {"type": "overflow", "action_id": "o", "options": options[:6]}
    assert any("no more than 5" in e for e in validate_message_blocks([{"type": "actions", "elements": [overflow]}]))


def test_empty_section_text_is_refused():
    assert validate_message_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]) == [
        "must be more than 0 characters [json-pointer:/blocks/0/text/text]"]


def test_view_limits():
    assert validate_view(modal()) == []
    assert validate_view(modal(title=plain("x" * 25))) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"]
    assert validate_view(modal(submit=plain("x" * 25)))
    assert validate_view(modal(close=plain("x" * 25)))
    assert validate_view(modal(private_metadata="m" * 3001)) == [
        "must be less than 3001 characters [json-pointer:/view/private_metadata]"]
    assert validate_view(modal(blocks=[{"type": "divider"}] * 101)) == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"]
    assert validate_view({"type": "home", "blocks": [{"type": "divider"}] * 100}) == []


def test_input_label_and_submit_rules():
    long_label = modal(blocks=[{"type": "input", "label": plain("x" * 2001),
                                "element": {"type": "plain_text_input", "action_id": "v"}}])
    assert validate_view(long_label) == ["must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]"]
    without_submit = modal()
    del without_submit["submit"]
    assert validate_view(without_submit) == [
        "must provide submit when the view has input blocks [json-pointer:/view/submit]"]
