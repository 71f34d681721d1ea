"""users.*."""




async def test_users_info_gives_locale_only_when_asked(client):
    plain = await client.users_info(user="U2")
    with_locale = await client.users_info(user="U2", include_locale=True)
    assert "locale" not in plain["user"] and with_locale["user"]["locale"] == "en-US"
