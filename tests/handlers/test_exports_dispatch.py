"""Exports after a year run through the real AsyncApp: the secretariat is never listed as a coordinator,
and every code people read has its display name beside it (issue 22, "Forms and wording")."""

from bot import maintenance
from bot.local import seed
from bot.local.workspace import seed_people
from tests.handlers.conftest import add_coordinators, announced


async def coordinators_export(ws, admins: frozenset[str] = frozenset()) -> dict[str, dict]:
    """`run_bot.py export coordinators` on the workspace's database. Without `admins`, as an operator
    runs it from a shell whose settings name no JIREI_ADMINS."""
    async with ws.deps.uow() as uow:
        document, _ = await maintenance.export_coordinators(uow, ws.deps.tz, admins)
    return {row["slack_user_id"]: row for row in document["coordinators"]}


async def test_the_admin_who_registered_is_exported_as_the_secretariat_not_a_coordinator(ws):
    # The secretariat registers a profile like anyone (the console's admin did, in the issue).
    await ws.driver.command(seed.ADMIN, "profile set prefecture=東京都 affiliation=公的機関 themes=医療・福祉,教育")
    await ws.driver.command(seed.STAFF_OSAKA, "profile set prefecture=大阪府 affiliation=公的機関 themes=労働")

    # The workspace's JIREI_ADMINS are not in the operator's settings: the database says who is who.
    rows = await coordinators_export(ws)
    admin = rows[seed.ADMIN]
    assert (admin["role"], admin["role_name"]) == ("admin", "事務局（管理者）")
    assert (rows[seed.STAFF_OSAKA]["role"], rows[seed.STAFF_OSAKA]["role_name"]) == ("bureau_staff", "地方局担当者")
    assert rows[seed.LECTURER]["role"] == "lecturer"
    assert {rows[user]["role"] for user in rows if user.startswith("UCOORD")} == {"coordinator"}
    # Codes for machines, names for people, side by side.
    assert (admin["bureau"], admin["bureau_name"]) == ("tokyo", "東京出入国在留管理局")
    assert (admin["affiliation"], admin["affiliation_name"]) == ("public", "公的機関")
    assert (admin["themes"], admin["theme_names"]) == (["medical_welfare", "education"], ["医療・福祉", "教育"])
    assert rows[seed.STAFF_OSAKA]["bureau_name"] == "大阪出入国在留管理局"
    # With the settings too, nobody is listed twice or differently.
    assert await coordinators_export(ws, frozenset({seed.ADMIN})) == rows


async def test_a_reopened_workspace_database_keeps_its_admin_once(ws):
    await seed_people(ws.deps, ws.clock.now(), profiles=True)  # as the console does when reopened
    async with ws.deps.uow() as uow:
        assert await uow.roles.holders("admin") == [seed.ADMIN]


async def test_session_and_case_exports_name_bureau_theme_and_status(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=東京 start=2027-05-15T14:00 minutes=120 "
                                        "capacity=1 min=1 deadline=2027-05-01T17:00 release=2027-05-07T09:00")
    await announced(ws)
    first, second = await add_coordinators(ws, 2)
    await ws.driver.command(first, "join S1")
    await ws.driver.command(second, "join S1")

    async with ws.deps.uow() as uow:
        session_doc, session_table = await maintenance.export_session(uow, "S1", ws.deps.tz)
        case_doc, case_table = await maintenance.export_case(uow, "C1", ws.deps.tz)

    session = session_doc["session"]
    assert (session["bureau"], session["bureau_name"]) == ("tokyo", "東京出入国在留管理局")
    assert (session["status"], session["status_name"]) == ("open", "受付中")
    assert [(r["user_id"], r["status"], r["status_name"]) for r in session_doc["registrations"]] == [
        (first, "confirmed", "参加確定"), (second, "waitlisted", "キャンセル待ち")]
    assert session_table.columns[-1] == "status_name" and session_table.rows[0][-1] == "参加確定"

    assert (case_doc["case"]["theme"], case_doc["case"]["theme_name"]) == ("medical_welfare", "医療・福祉")
    assert [(s["bureau"], s["bureau_name"], s["status_name"]) for s in case_doc["sessions"]] == [
        ("tokyo", "東京出入国在留管理局", "受付中")]
    assert case_table.columns[-2:] == ("bureau_name", "status_name")


def test_names_of_bureaus_that_are_not_bureaus():
    """Substitutes and self-run sessions are held online; a coordinator may have no bureau yet."""
    assert maintenance._bureau_name("online") == "オンライン"
    assert maintenance._bureau_name(None) is None
    assert maintenance._theme_name(None) is None and maintenance._status_name("status", None) is None
