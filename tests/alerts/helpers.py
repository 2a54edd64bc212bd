"""Subscribing and confirming in one step, for the tests (the double opt-in is tested on its own)."""

from __future__ import annotations

from reunite.alerts import confirm, subscribe
from reunite.notify import ConsoleChannel


def active(session, links, channel_kind, recipient, **area):
    """A confirmed subscription, confirmed through the link its confirmation message carried."""
    console = ConsoleChannel(channel_kind, stream=None)
    _sub, _ = subscribe(session, channel_kind=channel_kind, recipient=recipient, links=links, sender=console, **area)
    token = console.sent[-1].message.body_en.split("/alerts/confirm/")[1].split()[0]
    return confirm(session, token, links)
