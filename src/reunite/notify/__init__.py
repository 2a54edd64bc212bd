"""Notifications: ONE interface to send a message by e-mail, webhook, SMS or WeChat.

Use it like this::

    from reunite.notify import Message, channel

    sms = channel("sms")                              # the backend the environment configures
    result = sms.send("+8613800000000", Message(subject="Reunite",
                                                body_zh="您的验证码是 123456", body_en="Your code is 123456"))
    if not result.ok:                                 # a Delivery: ok, message_id, error, retryable
        ...
    # the same with the parts given one by one:
    channel("email").send("someone@example.org", "Subject", body_zh="…", body_en="…")

    # in tests and development, a backend that records (and prints) instead of sending:
    from reunite.notify import ConsoleChannel
    console = ConsoleChannel("sms")
    console.send("+8613800000000", "Reunite", body_zh="…", body_en="…")
    console.sent[-1].message.body_en                  # what was "sent"

Every channel (:class:`Channel`) has ``kind``, ``send(recipient, message | subject, body_zh=,
body_en=) -> Delivery`` and ``prepare(recipient, message) -> Prepared`` (two-phase: ``release()`` takes the
one irrevocable step, ``finish()`` gives the Delivery; SMTP holds the message short of its final ``.``,
the console backend stages it until ``flush()``; the alerts' fan-out uses it to send at most once).
``send`` checks the recipient (:func:`check_recipient`; a bad one raises
:class:`~reunite.errors.InputError` naming the field, never the value) and returns a
:class:`Delivery` for every outcome of the attempt itself: ``ok``, or ``error`` (the class of the
failure, e.g. ``SMTPRecipientsRefused``, ``HTTP 503``) with ``retryable`` (a timeout or a 4xx/5xx
reply worth another try later) — it does not raise for a failed delivery, so a fan-out loop logs
and retries.  A channel used without its configuration raises :class:`ChannelNotConfigured` at
once, naming the variables to set.

Backends (:func:`channel` picks one for a kind from the environment, :class:`NotifySettings`)
------------------------------------------------------------------------------------------------
============  =====================================================================================
kind          backend and its environment variables
============  =====================================================================================
every kind    ``REUNITE_NOTIFY_BACKEND=console``: :class:`ConsoleChannel` for every kind (development,
              tests): records each message in ``.sent``, prints it to stdout, and appends it as one
              JSON line to ``REUNITE_NOTIFY_CONSOLE_FILE`` when that is set (so another process —
              a test, a developer — can read what a server "sent").  Never in production: it prints
              recipients and bodies.
``email``     :class:`SmtpChannel` (``smtplib``): ``REUNITE_SMTP_HOST`` (required), ``REUNITE_SMTP_PORT``
              (default 587 with STARTTLS, 465 with SSL, 25 without), ``REUNITE_SMTP_TLS``
              (``starttls`` default, ``ssl``, ``none``), ``REUNITE_SMTP_USER`` / ``REUNITE_SMTP_PASSWORD``
              (login when set), ``REUNITE_SMTP_FROM`` (default ``reunite@localhost``),
              ``REUNITE_SMTP_TIMEOUT`` (seconds, default 30).
``webhook``   :class:`WebhookChannel`: HTTP POST of a JSON body to the subscriber's URL, signed
              with HMAC-SHA256 under ``REUNITE_WEBHOOK_SECRET`` (required: nothing unsigned is sent):
              headers ``X-Reunite-Timestamp`` and ``X-Reunite-Signature: sha256=<hex of
              HMAC(secret, timestamp + "." + body)>`` (:func:`sign`, :func:`verify`) and
              ``X-Reunite-Delivery`` (the message's key, the same on a retry, so a receiver can
              drop a duplicate).  ``REUNITE_WEBHOOK_TIMEOUT`` (default 10 s).
``sms``       :class:`GatewayChannel` to an SMS gateway's HTTP API: ``REUNITE_SMS_URL`` and
              ``REUNITE_SMS_SECRET``; posts ``{"to", "text", "key"}`` signed as a webhook.
              Disabled unless both are set.
``wechat``    :class:`GatewayChannel` to a WeChat message gateway (e.g. a service account's template
              message relay): ``REUNITE_WECHAT_URL`` and ``REUNITE_WECHAT_SECRET``; posts
              ``{"to" (an OpenID), "text", "key"}``.  Disabled unless both are set.
============  =====================================================================================

No vendor's SMS or WeChat API is spoken directly: each vendor's client belongs in a small gateway
that takes the signed JSON above, so Reunite holds no vendor credentials.

Messages are bilingual, Chinese first (:class:`Message`): an e-mail is one ``text/plain`` UTF-8
part with the Chinese body, a rule, then the English body; SMS and WeChat get the same text.
``Message.key`` is the idempotency key of a delivery (an alert's is ``alert-<id>-sub-<id>``): the
e-mail's ``Message-ID`` and the webhook's ``X-Reunite-Delivery`` are made from it, so a message
sent twice by a retry can be recognised as one.  ``Message.unsubscribe_url`` goes into the body
and the ``List-Unsubscribe`` header.

Many messages at once: :class:`reunite.notify.fleet.SmtpFleet` drives a pool of SMTP connections from one
asyncio event loop, each holding one message short of its final ``.`` until released (pipelining when the
server announces it), with the e-mail rendered once (:class:`reunite.notify.fleet.Template`); the alerts'
fan-out uses it.  A :class:`Delivery` with ``uncertain`` set may have been delivered (no reply after the
final ``.``): never retry it.

Privacy: a :class:`Delivery` carries no recipient and no body, only the outcome, so it can be
logged; error texts from servers are reduced to their class and status code.
"""

from __future__ import annotations

from .channels import (
    CHANNEL_KINDS,
    Channel,
    ChannelNotConfigured,
    ConsoleChannel,
    Delivery,
    GatewayChannel,
    Message,
    NotifyError,
    NotifySettings,
    Prepared,
    Sent,
    SmtpChannel,
    WebhookChannel,
    channel,
    check_recipient,
    sign,
    verify,
)

__all__ = [
    "CHANNEL_KINDS",
    "Channel",
    "ChannelNotConfigured",
    "ConsoleChannel",
    "Delivery",
    "GatewayChannel",
    "Message",
    "NotifyError",
    "NotifySettings",
    "Prepared",
    "Sent",
    "SmtpChannel",
    "WebhookChannel",
    "channel",
    "check_recipient",
    "sign",
    "verify",
]
