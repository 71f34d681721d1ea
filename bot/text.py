"""Making user-supplied text inert before it is shown in Slack."""


def escape(text: str) -> str:
    """No mentions, no <!channel>, no links: Slack's three control characters, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
