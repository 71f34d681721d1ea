"""The case library through the real AsyncApp and the fake Slack: `/jirei cases` finds published
cases by words (of any length, in the commentary too), theme, year and bureau, never an unpublished
one nor a study group's case its group did not share; 開く / Open sends the case and its commentary
only after the pledge, recorded like a release; a study group shares its case after the personal-data
check; bad filters get a short message; Japanese and English."""

from datetime import datetime, timedelta

from sqlalchemy import select

from bot import ids
from bot.core.i18n import t
from bot.local import seed
from bot.people import service as people
from storage.models import AuditEntry, Delivery
from tests.handlers.conftest import JST, add_coordinators, texts
from tests.handlers.test_publication_dispatch import plan_case
from tests.handlers.test_study_groups_dispatch import form_group, propose, proposal_values


async def published_case(ws) -> None:
    """C1 (受診同行, 医療・福祉) held in Tokyo on 15 May 2027 and published early by an admin; C2, on the
    same theme with 通訳 in its title, planned but never published. The library job has run."""
    await plan_case(ws, ["tokyo"])
    await ws.driver.command(seed.ADMIN, 'admin case new title="通訳の手配が遅れた受診" theme=医療・福祉 '
                                        'summary="未公開の事例の概要"')
    await ws.advance(timedelta(days=45))
    await ws.driver.command(seed.ADMIN, "admin publish C1 confirm")
    await ws.advance(timedelta(minutes=2))


async def search(ws, user: str, text: str) -> dict:
    await ws.driver.command(user, f"cases {text}".strip())
    return ws.fake.ephemerals(user)[-1]


def found(answer: dict) -> list[str]:
    """The case codes of the results (the Open buttons' values)."""
    return [block["accessory"]["value"] for block in answer.get("blocks", [])
            if block.get("accessory", {}).get("action_id") == ids.LIBRARY_OPEN]


async def test_words_theme_year_and_bureau_find_the_published_case_and_never_an_unpublished_one(ws):
    await published_case(ws)
    user = seed.COORDINATORS[0][0]
    assert found(await search(ws, user, "受診同行")) == ["C1"]  # the title
    assert found(await search(ws, user, "窓口の連携")) == ["C1"]  # only in the commentary file
    assert found(await search(ws, user, "通訳")) == ["C1"]  # two characters; C2 has it too but is unpublished
    assert found(await search(ws, user, "訳")) == ["C1"]
    assert found(await search(ws, user, "未公開の事例")) == []  # C2's summary
    assert found(await search(ws, user, "theme=医療・福祉")) == ["C1"]
    assert found(await search(ws, user, "theme=education")) == []
    assert found(await search(ws, user, "year=令和9")) == ["C1"]
    assert found(await search(ws, user, "year=2026")) == []
    assert found(await search(ws, user, "bureau=東京")) == ["C1"]
    assert found(await search(ws, user, "bureau=osaka")) == []
    assert found(await search(ws, user, "連携 theme=medical_welfare year=FY2027 bureau=tokyo")) == ["C1"]
    assert found(await search(ws, user, "連携 病院 年金")) == []  # every word must be there
    assert found(await search(ws, user, "")) == ["C1"]
    answer = await search(ws, user, "受診")
    shown = texts([answer])
    # the theme by name (not its code), the year held in 令和, at how many bureaus
    assert "医療・福祉" in shown and "medical" not in shown
    assert "令和9年度" in shown and "8局中1局で開催" in shown
    assert t("library.open_button", "ja") in shown
    assert ws.fake.violations == []  # every message and view was valid Block Kit


async def test_english_speakers_read_the_same_results_in_english(ws):
    await published_case(ws)
    user = seed.COORDINATORS[1][0]
    await ws.driver.command(user, "profile set lang=en")
    answer = await search(ws, user, "Medical")  # the theme's English name is indexed too, any case
    shown = texts([answer])
    assert found(answer) == ["C1"]
    assert "Medical" in shown and "FY2027" in shown and "held at 1 of 8 bureaus" in shown
    assert "Case library" in shown and "医療・福祉" not in shown
    none = texts([await search(ws, user, "nothing-like-this")])
    assert t("library.none", "en") in none
    assert ws.fake.violations == []  # every message and view was valid Block Kit


async def test_bad_filters_get_a_short_clear_message_in_the_persons_language(ws):
    user = seed.COORDINATORS[0][0]
    cases = {"theme=宇宙": "宇宙", "bureau=月面": "月面", "year=来年": "来年", "colour=red": "colour"}
    for text, echoed in cases.items():
        shown = texts([await search(ws, user, text)])
        assert echoed in shown and "Traceback" not in shown and len(shown) < 600, (text, shown)
    assert t("usage.cases_unknown_filter", "ja", field="colour") in texts([await search(ws, user, "colour=red")])
    await ws.driver.command(user, "profile set lang=en")
    assert "There is no filter" in texts([await search(ws, user, "colour=red")])
    assert "theme" in texts([await search(ws, user, "theme=")]).lower()
    assert "Could not read the fiscal year" in texts([await search(ws, user, "year=soon")])
    assert ws.fake.violations == []  # every message and view was valid Block Kit


async def test_open_asks_for_the_pledge_first_then_sends_the_case_and_its_commentary_as_a_release(ws):
    await published_case(ws)
    [newcomer] = await add_coordinators(ws, 1, prefix="UNEW", pledged=False)
    answer = await search(ws, newcomer, "受診同行")
    await ws.driver.press(newcomer, answer, ids.LIBRARY_OPEN)
    asked = ws.fake.ephemerals(newcomer)[-1]
    assert ids.ACCEPT_PLEDGE in str(asked["blocks"]) and "C1" in texts([asked])
    await ws.run_due()
    async with ws.deps.uow() as uow:
        rows = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "library_case")))
        refused = list(await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "library.open")))
    assert rows == [] and [(a.actor, a.outcome, a.target) for a in refused] == [(newcomer, "refused", "C1")]
    assert not any("C1" in texts([m]) for m in ws.fake.dm_messages(newcomer))

    await ws.driver.press(newcomer, asked, ids.ACCEPT_PLEDGE)  # the pledge flow's own button
    await ws.driver.press(newcomer, answer, ids.LIBRARY_OPEN)
    await ws.run_due()
    dms = [m for m in ws.fake.dm_messages(newcomer) if "C1" in texts([m])]
    assert len(dms) == 2 and "受診同行" in texts(dms)
    files = [ws.fake.file_content(f["id"]).decode() for m in ws.fake.dm_messages(newcomer) for f in m.get("files") or []]
    assert any("医療通訳の手配" in f for f in files) and any("窓口の連携" in f for f in files)  # material, commentary
    async with ws.deps.uow() as uow:
        rows = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "library_case")))
        opened = list(await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "library.open",
                                                                         AuditEntry.outcome == "ok")))
    assert {(r.recipient, r.status, r.payload["part"]) for r in rows} == \
        {(newcomer, "sent", "material"), (newcomer, "sent", "commentary")}
    assert [(a.actor, a.target) for a in opened] == [(newcomer, "C1")]

    await ws.driver.press(newcomer, answer, ids.LIBRARY_OPEN)  # again: nothing twice
    await ws.run_due()
    assert t("library.sent_already", "ja", code="C1") in texts(ws.fake.ephemerals(newcomer)[-1:])
    assert len([m for m in ws.fake.dm_messages(newcomer) if "C1" in texts([m])]) == 2
    assert ws.fake.violations == []  # every message and view was valid Block Kit


async def test_a_study_groups_case_is_found_only_once_shared_after_the_check(ws):
    group, members = await form_group(ws)
    proposer = members[0]
    start = datetime(2027, 4, 20, 14, 0, tzinfo=JST)
    await propose(ws, proposer, proposal_values(start, title="技能実習生の転籍相談"))
    await propose(ws, members[1], proposal_values(start + timedelta(days=1), title="技能実習生の賃金未払い"))
    # the proposer's material names someone: the check finds it when the case is shared
    await ws.driver.command(proposer, "admin material add C1")
    form = ws.fake.current_view(proposer)
    file_id = ws.fake.add_user_file(proposer, "case.txt", "相談者の山田太郎さん（電話 090-1234-5678）は転籍を希望。\n".encode())
    await ws.driver.submit_view(proposer, form, {ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
                                                 ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
                                                 ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]}})
    # released to the group's participants on the proposer's confirmation: sharing it widely is another matter
    flagged = next(m for m in reversed(ws.fake.dm_messages(proposer)) if ids.MATERIAL_CONFIRM in str(m.get("blocks")))
    await ws.driver.press(proposer, flagged, ids.MATERIAL_CONFIRM)
    for code in ("S1", "S2"):
        for user in members[1:3]:
            await ws.driver.command(user, f"join {code}")
    await ws.advance(start + timedelta(days=1, hours=3) - ws.clock.now())  # both held
    user = seed.COORDINATORS[0][0]
    assert found(await search(ws, user, "技能実習生")) == []  # nothing shared yet

    offer = next(m for m in ws.fake.dm_messages(proposer) if ids.LIBRARY_SHARE in str(m.get("blocks")))
    assert "S1" in texts([offer])
    await ws.driver.press(members[3], offer, ids.LIBRARY_SHARE)  # not in the group: refused
    assert t("library.error.not_your_group", "ja", code="S1") in texts(ws.fake.ephemerals(members[3])[-1:])
    await ws.driver.press(proposer, offer, ids.LIBRARY_SHARE)
    findings = ws.fake.ephemerals(proposer)[-1]
    assert ids.LIBRARY_SHARE_ACCEPT in str(findings["blocks"]) and "山田太郎" in texts([findings])
    assert found(await search(ws, user, "技能実習生")) == []  # not shared while findings stand

    await ws.driver.press(proposer, findings, ids.LIBRARY_SHARE_ACCEPT)
    assert t("library.share.shared_anonymised", "ja", code="S1", case="C1") in texts(ws.fake.ephemerals(proposer)[-1:])
    answer = await search(ws, user, "転籍")
    assert found(answer) == ["C1"] and t("library.self_run", "ja") in texts([answer])
    assert found(await search(ws, user, "山田")) == [] and found(await search(ws, user, "090")) == []
    assert found(await search(ws, user, "賃金未払い")) == []  # S2's group never shared it
    await ws.driver.press(user, answer, ids.LIBRARY_OPEN)
    await ws.run_due()
    shared = [m for m in ws.fake.dm_messages(user) if "C1" in texts([m])]
    assert shared and "転籍を希望" in texts(shared) and "山田" not in texts(shared)
    assert ws.fake.violations == []  # every message and view was valid Block Kit


async def test_the_home_tab_shows_cases_in_the_persons_themes(ws):
    await published_case(ws)
    user = seed.COORDINATORS[0][0]
    async with ws.deps.uow() as uow:
        await people.update_profile(uow, ws.clock.now(), user, people.validate_profile({"themes": "医療・福祉"}))
    await ws.driver.open_home(user)
    home = texts([{"blocks": ws.fake.home_view(user)["blocks"]}])
    assert t("library.home.title", "ja") in home and "受診同行" in home
    async with ws.deps.uow() as uow:
        await people.update_profile(uow, ws.clock.now(), user, people.validate_profile({"themes": "教育"}))
    await ws.driver.open_home(user)
    home = texts([{"blocks": ws.fake.home_view(user)["blocks"]}])
    assert t("library.home.title", "ja") in home and "受診同行" not in home
    assert ws.fake.violations == []  # every message and view was valid Block Kit


async def test_an_edited_case_is_found_by_its_new_title_within_a_minute(ws):
    await published_case(ws)
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(seed.ADMIN, 'admin case edit C1 title="医療通訳と受診の同行" summary="通院の支援"')
    await ws.advance(timedelta(minutes=1, seconds=5))
    assert found(await search(ws, user, "通院の支援")) == ["C1"]
    assert found(await search(ws, user, "受診同行")) == []  # the old title is gone from the index
    assert found(await search(ws, user, "窓口の連携")) == ["C1"]  # the commentary is still indexed
    assert ws.fake.violations == []  # every message and view was valid Block Kit
