from bot.local.slack.render import (BOLD, display_width, mrkdwn_to_text, render_blocks, render_message,
                                    render_view, wrap)


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


CARD = [
    {"type": "header", "text": plain("第3回 事例検討会")},
    {"type": "section", "text": {"type": "mrkdwn", "text": "*日時* 10月1日 14:00"},
     "accessory": {"type": "overflow", "action_id": "more", "options": [
         {"text": plain("詳細"), "value": "detail"}, {"text": plain("欠席"), "value": "absent"}]}},
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "東京局"}]},
    {"type": "actions", "block_id": "card", "elements": [
        {"type": "button", "action_id": "join", "value": "S3", "text": plain("参加する"), "style": "primary"},
        {"type": "button", "action_id": "decline", "value": "S3", "text": plain("欠席する")},
        {"type": "static_select", "action_id": "slot", "placeholder": plain("時間帯"), "options": [
            {"text": plain("午前"), "value": "am"}, {"text": plain("午後"), "value": "pm"}]}]},
]


def test_interactive_elements_are_numbered_in_order():
    rendered = render_blocks(CARD)

    assert [(c.number, c.kind, c.action_id) for c in rendered.controls] == [
        (1, "overflow", "more"), (2, "button", "join"), (3, "button", "decline"), (4, "static_select", "slot")]
    assert "[2] 参加する  [3] 欠席する" in rendered.text
    assert "[4] ▾ 時間帯" in rendered.text
    assert [o.value for o in rendered.control(4).options] == ["am", "pm"]
    assert rendered.control(2).value == "S3" and rendered.control(2).block_id == "card"


def test_numbering_starts_where_asked():
    rendered = render_blocks(CARD, start_number=10)
    assert rendered.controls[0].number == 10 and "[11] 参加する" in rendered.text


def test_header_divider_context_and_plain_bold():
    text = render_blocks(CARD, width=40).text
    lines = text.splitlines()
    assert lines[0] == "第3回 事例検討会"
    assert lines[1] == "━" * display_width("第3回 事例検討会")
    assert "─" * 40 in lines
    assert "┆ 東京局" in text
    assert "日時 10月1日 14:00" in text and "*" not in text


def test_color_only_when_asked():
    assert BOLD not in render_blocks(CARD).text
    assert f"{BOLD}日時" in render_blocks(CARD, color=True).text


def test_japanese_counts_two_columns_and_wraps_by_width():
    assert display_width("参加abc") == 7
    lines = wrap("事例検討会の参加者は十名です。", 10)
    assert all(display_width(line) <= 10 for line in lines[:-1])
    assert "".join(lines) == "事例検討会の参加者は十名です。"
    assert not any(line.startswith("。") for line in lines)


def test_latin_words_are_not_split():
    assert wrap("case study meeting", 12) == ["case study", "meeting"]


def test_fields_line_up_in_two_columns():
    block = {"type": "section", "fields": [plain("会場"), plain("オンライン"), plain("定員"), plain("20名")]}
    lines = render_blocks([block], width=40).text.splitlines()
    assert lines[0].startswith("会場") and "オンライン" in lines[0]
    assert lines[0].index("オンライン") == lines[1].index("20名")
    assert display_width(lines[0].split("オンライン")[0]) == display_width(lines[1].split("20名")[0])


def test_mrkdwn_links_and_mentions():
    text = mrkdwn_to_text("<@U1> さん、<https://example.jp|資料> を見てください &amp; <!here>",
                          user_names={"U1": "田中"}.get)
    assert text == "@田中 さん、資料 (https://example.jp) を見てください & @here"
    assert mrkdwn_to_text("snake_case_name stays") == "snake_case_name stays"


def test_modal_shows_fields_with_label_type_and_options():
    view = {
        "type": "modal", "title": plain("参加登録"), "submit": plain("登録"), "close": plain("やめる"),
        "blocks": [
            {"type": "input", "block_id": "name", "label": plain("氏名"),
             "element": {"type": "plain_text_input", "action_id": "value", "placeholder": plain("例: 田中花子")}},
            {"type": "input", "block_id": "role", "optional": True, "label": plain("役割"),
             "element": {"type": "radio_buttons", "action_id": "pick", "options": [
                 {"text": plain("講師"), "value": "lecturer"}, {"text": plain("参加者"), "value": "member"}]}},
        ],
        "state": {"values": {"name": {"value": {"type": "plain_text_input", "value": "鈴木"}}}},
    }
    rendered = render_view(view, lang="ja")

    assert "参加登録" in rendered.text.splitlines()[0]
    assert "[1] 氏名 (テキスト)" in rendered.text
    assert "現在の値: 鈴木" in rendered.text
    assert "[2] 役割（任意） (ラジオボタン)" in rendered.text and "○ 講師" in rendered.text
    assert [(c.number, c.kind) for c in rendered.controls] == [
        (1, "plain_text_input"), (2, "radio_buttons"), (3, "submit"), (4, "close")]
    assert rendered.control(1).value == "鈴木" and rendered.control(1).block_id == "name"
    assert "[3] 登録  [4] やめる" in rendered.text


def test_modal_labels_follow_the_language():
    view = {"type": "modal", "title": plain("Sign up"), "submit": plain("Send"), "blocks": [
        {"type": "input", "block_id": "d", "label": plain("Date"),
         "element": {"type": "datepicker", "action_id": "pick"}}]}
    assert "[1] Date (date)" in render_view(view, lang="en").text
    assert "[1] Date (日付)" in render_view(view, lang="ja").text


def test_home_tab_and_plain_message():
    home = render_view({"type": "home", "blocks": [{"type": "section", "text": plain("ようこそ")}]}, lang="ja")
    assert "ホーム" in home.text and "ようこそ" in home.text and home.controls == []
    message = render_message({"text": "*資料* です", "files": [{"name": "case.pdf", "title": "事例資料"}]})
    assert message.text == "資料 です\n📎 事例資料"


def test_rich_text_is_flattened():
    block = {"type": "rich_text", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "確認: "}, {"type": "user", "user_id": "U1"}]},
        {"type": "rich_text_list", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": "一つ目"}]}]}]}
    text = render_blocks([block], user_names=lambda _: "田中").text
    assert text.splitlines() == ["確認: @田中", "  • 一つ目"]
