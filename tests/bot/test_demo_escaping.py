"""The whole demo year (ja and en) with hostile text in every field a person types or a file carries:
names, case and proposal titles, places, survey free text, meeting and material links, a cancel
reason, a material's file name. Every payload the bot sent (Web API calls, response_url posts,
acks) is checked (bot/local/slack/escaping.py): no raw <!…> and no <@…> of no user, no cut or raw
&, no unbalanced code fence; and the hostile text did reach Slack, escaped. The same payloads are
scanned for codes, catalog keys and ids shown instead of words (tests/test_codes_in_messages.py)."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from bot.local.demo import Demo, Typed
from tests.test_codes_in_messages import leaks_in_sent

HOSTILE = "<!channel> & <b>x</b> >q <@U000> &amp; ```"
# A profile name may hold neither "<" nor "@" (refused where it is typed), so names get the rest.
HOSTILE_NAME = " & >q &amp; ``` *b*"

HOSTILE_TYPED = Typed(
    case_title=f"受診同行 {HOSTILE}",
    proposal_title=f"在留資格 {HOSTILE}",
    place=f"会議室 {HOSTILE}",
    proposal_place=f"公民館 {HOSTILE}",
    meeting_url="https://meet.example.jp/j?a=1&b=2&amp;c=```",
    commentary_url="https://example.jp/c1.pdf?x=1&y=2",
    # "@U000" in a file's name is an SNS id to the personal-data check: the file would need confirming.
    material_filename=HOSTILE.replace(" <@U000>", "") + ".txt",
    free_text=f"意見 {HOSTILE}",
    cancel_reason=f"講師の都合 {HOSTILE}",
    request_note=f"依頼メモ {HOSTILE}",
    name_suffix=HOSTILE_NAME,
)


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_the_demo_year_with_hostile_text_everywhere_sends_nothing_unescaped(lang):
    out = io.StringIO()
    demo = Demo(lang=lang, out=out, typed=HOSTILE_TYPED)
    code = await demo.run()

    by_problem = Counter(fault.problem for fault in demo.escaping_faults)
    print(f"demo {lang}: {demo.sent} payloads; raw tokens {by_problem['raw_token'] + by_problem['stray_bracket']}, "
          f"cut entities {by_problem['cut_entity']}, unbalanced fences {by_problem['unbalanced_fence']}")
    assert demo.escaping_faults == [], "\n".join(map(str, demo.escaping_faults[:20]))
    assert code == 0, "\n".join(demo.failures)
    assert demo.sent > 500
    # Nor did a code, a catalog key or an id reach anyone instead of words, in either language.
    leaks = leaks_in_sent(demo.ws.fake.sent_payloads())
    assert leaks == [], "\n".join(leaks[:20])

    sent = [str(payload) for _, payload in demo.ws.fake.sent_payloads()]
    # The hostile text was shown (escaped) in titles, places, reasons, answers, file names and links.
    for shown in ("受診同行 &lt;!channel&gt; &amp; &lt;b&gt;x&lt;/b&gt; &gt;q &lt;@U000&gt; &amp;amp;",
                  "在留資格 &lt;!channel&gt;", "会議室 &lt;!channel&gt;", "講師の都合 &lt;!channel&gt;",
                  "依頼メモ &lt;!channel&gt;",
                  "https://meet.example.jp/j?a=1&amp;b=2&amp;amp;c=", "https://example.jp/c1.pdf?x=1&amp;y=2"):
        assert any(shown in payload for payload in sent), shown
