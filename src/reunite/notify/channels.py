"""The channels of :mod:`reunite.notify` (see its docstring for the API and the configuration)."""

from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import os
import re
import smtplib
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import IO, Protocol, runtime_checkable

from ..errors import InputError, Problem, ReuniteError

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

#: The kinds of channel a subscriber may choose.
CHANNEL_KINDS = ("email", "webhook", "sms", "wechat")

_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
_URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$")


class NotifyError(ReuniteError):
    """A notification that cannot be sent as configured."""


class ChannelNotConfigured(NotifyError):
    """A channel used without its configuration (the message names the variables to set)."""


@dataclass(frozen=True)
class Message:
    """A bilingual message: ``subject``, ``body_zh`` (shown first), ``body_en``.

    ``key``: the delivery's idempotency key (Message-ID, ``X-Reunite-Delivery``); ``unsubscribe_url``:
    printed under the bodies and sent as ``List-Unsubscribe``; ``data``: extra JSON for webhooks.
    """

    subject: str
    body_zh: str = ""
    body_en: str = ""
    key: str | None = None
    unsubscribe_url: str | None = None
    data: Mapping | None = None

    def __post_init__(self) -> None:
        problems = []
        if not self.subject.strip() or "\n" in self.subject or "\r" in self.subject:
            problems.append(Problem("a message needs a one-line subject", field="subject"))
        if not (self.body_zh.strip() or self.body_en.strip()):
            problems.append(Problem("a message needs a body in Chinese or English", field="body"))
        if self.key is not None and not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", self.key):
            problems.append(Problem("a message key has 1-100 letters, digits, dots, dashes or underscores",
                                    field="key"))
        if problems:
            raise InputError(problems)

    def text(self) -> str:
        """The plain text: Chinese, a rule, English, then the unsubscribe link."""
        parts = [p.strip() for p in (self.body_zh, self.body_en) if p.strip()]
        text = "\n\n----\n\n".join(parts)
        if self.unsubscribe_url:
            text += f"\n\n退订 / Unsubscribe: {self.unsubscribe_url}"
        return text + "\n"

    def as_json(self) -> dict:
        """The message as a webhook posts it."""
        return {"key": self.key, "subject": self.subject, "body_zh": self.body_zh, "body_en": self.body_en,
                "unsubscribe_url": self.unsubscribe_url, "data": dict(self.data or {})}


@dataclass(frozen=True)
class Delivery:
    """The outcome of one attempt: no recipient, no body (safe to log).

    ``error`` is the failure's class (``SMTPRecipientsRefused``, ``HTTP 503``, ``TimeoutError``),
    ``retryable`` whether another attempt later may succeed; ``uncertain`` when the message may have been
    delivered although no success was read (SMTP: the connection failed after the final ``.`` was
    written, RFC 1047) — a sender that never duplicates must not retry it.
    """

    ok: bool
    channel: str
    message_id: str | None = None
    error: str | None = None
    retryable: bool = False
    uncertain: bool = False


def check_recipient(kind: str, recipient: str) -> str:
    """The recipient of a ``kind`` channel, trimmed, or :class:`InputError` (field ``recipient``; the
    value itself is never in the message): an e-mail address, an http(s) URL, a phone number
    (digits, an optional leading +; spaces and dashes dropped) or a WeChat OpenID."""
    if kind not in CHANNEL_KINDS:
        raise InputError(Problem(f"unknown channel {kind!r}; one of {', '.join(CHANNEL_KINDS)}", field="channel"))
    value = (recipient or "").strip()
    if kind == "sms":
        value = re.sub(r"[\s().-]", "", value)
    ok = {"email": _EMAIL, "webhook": _URL, "sms": _PHONE, "wechat": _OPENID}[kind].match(value)
    if not ok or len(value) > 300:
        what = {"email": "an e-mail address", "webhook": "an http:// or https:// URL",
                "sms": "a phone number (digits, optionally starting with +)", "wechat": "a WeChat OpenID"}[kind]
        raise InputError(Problem(f"the recipient is not {what}", field="recipient"))
    return value


@runtime_checkable
class Channel(Protocol):
    """What every backend does: ``send`` a :class:`Message` to a recipient, return a :class:`Delivery`."""

    kind: str

    def send(self, recipient: str, message: Message | str, body_zh: str = "", body_en: str = "",
             **fields) -> Delivery:
        """Send ``message`` (or a subject with ``body_zh``/``body_en`` and :class:`Message`'s other
        fields) to ``recipient``."""
        ...

    def prepare(self, recipient: str, message: Message) -> Prepared:
        """Make a message ready to go; :meth:`Prepared.release` sends it (the fan-out's two-phase send)."""
        ...

    def close(self) -> None:
        """Release connections (a channel may be reused until then)."""
        ...


class Prepared:
    """A message made ready to go (:meth:`Channel.prepare`): :meth:`release` takes the one irrevocable
    step, :meth:`finish` returns the outcome, :meth:`abort` drops it unsent.

    With SMTP the message is prepared up to the end of its DATA and :meth:`release` writes the final
    ``.`` line (a server delivers nothing whose DATA did not end: a crash before it sends nothing);
    other channels do everything in :meth:`release` (their ``prepares`` is False)."""

    def __init__(self, release=None, finish=None, abort=None, outcome: Delivery | None = None):
        self._release, self._finish, self._abort, self._outcome = release, finish, abort, outcome

    @property
    def failed(self) -> Delivery | None:
        """The failure found while preparing (nothing was sent), else None."""
        return self._outcome if self._outcome is not None and not self._outcome.ok else None

    def release(self) -> None:
        if self._outcome is None and self._release is not None:
            self._outcome = self._release()

    def finish(self) -> Delivery:
        if self._outcome is None and self._finish is not None:
            self._outcome = self._finish()
        if self._outcome is None:
            raise NotifyError("finish() before release()")
        return self._outcome

    def abort(self) -> None:
        if self._abort is not None:
            self._abort()


class _Base:
    """The shared ``send`` and ``prepare``: build the message, check the recipient, call ``_deliver``."""

    kind: str = "email"
    #: Whether :meth:`prepare` holds a message short of its last step (SMTP); else release sends it all.
    prepares: bool = False

    def send(self, recipient: str, message: Message | str, body_zh: str = "", body_en: str = "",
             **fields) -> Delivery:
        if not isinstance(message, Message):
            message = Message(str(message), body_zh, body_en, **fields)
        return self._deliver(check_recipient(self.kind, recipient), message)

    def prepare(self, recipient: str, message: Message) -> Prepared:
        """Make ``message`` ready to go to ``recipient`` (see :class:`Prepared`)."""
        recipient = check_recipient(self.kind, recipient)
        return Prepared(release=lambda: self._deliver(recipient, message))

    def _deliver(self, recipient: str, message: Message) -> Delivery:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------- console


@dataclass(frozen=True)
class Sent:
    """One message a :class:`ConsoleChannel` recorded."""

    recipient: str
    message: Message
    at: float


class ConsoleChannel(_Base):
    """Records every message (``.sent``), prints it to ``stream`` (stdout; None: silent) and appends it
    as a JSON line to ``path`` when given.  For tests and development only.

    Messages from :meth:`prepare` are staged: ``release`` marks one, :meth:`flush` records every marked
    one at once (one write to ``path``), so a batch becomes irrevocable in one step."""

    stages = True

    def __init__(self, kind: str = "email", *, stream: IO[str] | None = sys.stdout, path: str | None = None):
        if kind not in CHANNEL_KINDS:
            raise InputError(Problem(f"unknown channel {kind!r}", field="channel"))
        self.kind, self.stream, self.path = kind, stream, path
        self.sent: list[Sent] = []
        self._staged: list[Sent] = []
        self._lock = threading.Lock()

    def _deliver(self, recipient: str, message: Message) -> Delivery:
        with self._lock:
            self._record([Sent(recipient, message, time.time())])
        return Delivery(True, self.kind, message_id=message.key)

    def _record(self, items: list[Sent]) -> None:
        self.sent.extend(items)
        if self.stream is not None:
            for item in items:
                print(f"[reunite {self.kind} → {item.recipient}] {item.message.subject}\n{item.message.text()}",
                      file=self.stream, flush=True)
        if self.path and items:
            text = "".join(json.dumps({"kind": self.kind, "to": i.recipient, "at": i.at, **i.message.as_json()},
                                      ensure_ascii=False) + "\n" for i in items)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(text)          # one write for the whole batch

    def prepare(self, recipient: str, message: Message) -> Prepared:
        item = Sent(check_recipient(self.kind, recipient), message, time.time())
        return Prepared(release=lambda: self._staged.append(item),
                        finish=lambda: Delivery(True, self.kind, message_id=message.key))

    def flush(self) -> None:
        """Record every released message at once."""
        with self._lock:
            items, self._staged = self._staged, []
            self._record(items)


# ------------------------------------------------------------------------------------ SMTP


def _message_id(key: str | None, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "localhost"
    token = key or os.urandom(12).hex()
    return f"<{token}@{domain}>"


class SmtpChannel(_Base):
    """E-mail over SMTP (``smtplib``), one connection kept open between messages and reopened after
    an error.  ``tls``: ``starttls``, ``ssl`` or ``none``.  Not thread-safe: one per thread."""

    kind = "email"
    prepares = True

    def __init__(self, host: str, port: int | None = None, *, tls: str = "starttls", user: str | None = None,
                 password: str | None = None, sender: str = "reunite@localhost", timeout: float = 30.0):
        if tls not in ("starttls", "ssl", "none"):
            raise ChannelNotConfigured(f"REUNITE_SMTP_TLS must be starttls, ssl or none, got {tls!r}")
        self.host, self.tls, self.user, self.password = host, tls, user, password
        self.port = port or {"starttls": 587, "ssl": 465, "none": 25}[tls]
        self.sender, self.timeout = sender, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            if self.tls == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
            if self.user:
                smtp.login(self.user, self.password or "")
            self._smtp = smtp
        return self._smtp

    def email(self, recipient: str, message: Message) -> EmailMessage:
        """The e-mail of ``message`` (UTF-8 plain text, Chinese first)."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = _message_id(message.key, self.sender)
        if message.unsubscribe_url:
            mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail.set_content(message.text(), charset="utf-8", cte="base64")
        return mail

    def prepare(self, recipient: str, message: Message) -> Prepared:
        """MAIL, RCPT, DATA and the message, all but the final ``.`` line (sent by ``release``).  One
        prepared message per channel at a time."""
        recipient = check_recipient(self.kind, recipient)
        mail = self.email(recipient, message)
        data = re.sub(rb"(?m)^\.", b"..", mail.as_bytes(policy=email.policy.SMTP))
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            smtp = self._connect()
            for command, ok in ((lambda: smtp.mail(self.sender), (250,)), (lambda: smtp.rcpt(recipient), (250, 251)),
                                (lambda: smtp.docmd("DATA"), (354,))):
                code, _ = command()
                if code not in ok:
                    self._reset()
                    return Prepared(outcome=Delivery(False, self.kind, error=f"SMTP {code}",
                                                     retryable=400 <= code < 500))
            smtp.send(data)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Prepared(outcome=Delivery(False, self.kind, error=type(exc).__name__, retryable=True))

        def finish() -> Delivery:
            try:
                code, _ = smtp.getreply()
            except (smtplib.SMTPException, OSError) as exc:      # the "." may have been taken: never retried
                self._drop()
                return Delivery(False, self.kind, error=f"NoReply {type(exc).__name__}", uncertain=True)
            if code != 250:
                return Delivery(False, self.kind, error=f"SMTP {code}", retryable=400 <= code < 500)
            return Delivery(True, self.kind, message_id=mail["Message-ID"])

        def release() -> None:
            try:
                smtp.send(b".\r\n")
            except (smtplib.SMTPException, OSError):
                pass           # finish() reads the failure

        return Prepared(release=release, finish=finish, abort=self._drop)

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError, AttributeError):
            self._drop()

    def _deliver(self, recipient: str, message: Message) -> Delivery:
        mail = self.email(recipient, message)
        try:
            self._connect().send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            return Delivery(False, self.kind, error="SMTPRecipientsRefused", retryable=False)
        except smtplib.SMTPResponseException as exc:
            self._drop()
            return Delivery(False, self.kind, error=f"{type(exc).__name__} {exc.smtp_code}",
                            retryable=400 <= exc.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Delivery(False, self.kind, error=type(exc).__name__, retryable=True)
        return Delivery(True, self.kind, message_id=mail["Message-ID"])

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass

    def close(self) -> None:
        """QUIT and close the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


# ------------------------------------------------------------------------- signed HTTP posts


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 under ``secret`` of ``timestamp + "." + body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, max_age: float = 300.0,
           now: float | None = None) -> bool:
    """Whether ``signature`` is :func:`sign`'s for this body and the timestamp is within ``max_age``
    seconds of ``now`` (what a receiver checks; the timestamp stops a replay)."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    return age <= max_age and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def _post(url: str, payload: dict, secret: str, key: str | None, timeout: float, kind: str) -> Delivery:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "reunite-notify",
        "X-Reunite-Timestamp": ts, "X-Reunite-Signature": sign(secret, ts, body),
        "X-Reunite-Delivery": key or ""})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            resp.read(1024)
            return Delivery(True, kind, message_id=key)
    except urllib.error.HTTPError as exc:
        return Delivery(False, kind, error=f"HTTP {exc.code}", retryable=exc.code in (408, 425, 429) or exc.code >= 500)
    except OSError as exc:          # URLError, timeouts and refused connections are OSErrors
        reason = getattr(exc, "reason", exc)
        return Delivery(False, kind, error=type(reason).__name__, retryable=True)


class WebhookChannel(_Base):
    """HTTP POST of the message as JSON to the recipient's URL, signed (:func:`sign`)."""

    kind = "webhook"

    def __init__(self, secret: str, *, timeout: float = 10.0):
        if not secret:
            raise ChannelNotConfigured("webhooks are disabled: set REUNITE_WEBHOOK_SECRET (a long random value "
                                       "shared with the receivers, who check the signature)")
        self.secret, self.timeout = secret, timeout

    def _deliver(self, recipient: str, message: Message) -> Delivery:
        return _post(recipient, message.as_json(), self.secret, message.key, self.timeout, self.kind)


class GatewayChannel(_Base):
    """SMS or WeChat through an HTTP gateway: POST ``{"to", "text", "key"}`` signed to ``url``."""

    def __init__(self, kind: str, url: str | None, secret: str | None, *, timeout: float = 10.0):
        if kind not in ("sms", "wechat"):
            raise InputError(Problem(f"a gateway channel is sms or wechat, not {kind!r}", field="channel"))
        prefix = f"REUNITE_{kind.upper()}"
        if not url or not secret:
            raise ChannelNotConfigured(f"{kind} is disabled: set {prefix}_URL (the gateway's HTTP endpoint) and "
                                       f"{prefix}_SECRET (the key its requests are signed with) to enable it")
        if not _URL.match(url):
            raise ChannelNotConfigured(f"{prefix}_URL must be an http:// or https:// URL")
        self.kind, self.url, self.secret, self.timeout = kind, url, secret, timeout

    def _deliver(self, recipient: str, message: Message) -> Delivery:
        payload = {"to": recipient, "text": f"{message.subject}\n{message.text()}", "key": message.key}
        return _post(self.url, payload, self.secret, message.key, self.timeout, self.kind)


# --------------------------------------------------------------------------- configuration


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(Problem(f"{name} must be a number, got {raw!r}", field=name)) from None
    if not value > 0:
        raise InputError(Problem(f"{name} must be positive, got {raw!r}", field=name))
    return value


@dataclass(frozen=True)
class NotifySettings:
    """The notification settings of the environment (see the package docstring), validated."""

    backend: str = "live"
    console_file: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_tls: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "reunite@localhost"
    smtp_timeout: float = 30.0
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_timeout: float = 10.0
    sms_url: str | None = None
    sms_secret: str | None = field(default=None, repr=False)
    wechat_url: str | None = None
    wechat_secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NotifySettings:
        """Read ``REUNITE_NOTIFY_*``, ``REUNITE_SMTP_*``, ``REUNITE_WEBHOOK_*``, ``REUNITE_SMS_*``,
        ``REUNITE_WECHAT_*`` from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        backend = (get("REUNITE_NOTIFY_BACKEND") or "live").lower()
        if backend not in ("live", "console"):
            raise InputError(Problem(f"REUNITE_NOTIFY_BACKEND must be live or console, got {backend!r}",
                                     field="REUNITE_NOTIFY_BACKEND"))
        tls = (get("REUNITE_SMTP_TLS") or "starttls").lower()
        if tls not in ("starttls", "ssl", "none"):
            raise InputError(Problem(f"REUNITE_SMTP_TLS must be starttls, ssl or none, got {tls!r}",
                                     field="REUNITE_SMTP_TLS"))
        port = get("REUNITE_SMTP_PORT")
        if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
            raise InputError(Problem(f"REUNITE_SMTP_PORT must be a port number, got {port!r}",
                                     field="REUNITE_SMTP_PORT"))
        return cls(backend=backend, console_file=get("REUNITE_NOTIFY_CONSOLE_FILE"),
                   smtp_host=get("REUNITE_SMTP_HOST"), smtp_port=int(port) if port else None, smtp_tls=tls,
                   smtp_user=get("REUNITE_SMTP_USER"), smtp_password=env.get("REUNITE_SMTP_PASSWORD"),
                   smtp_from=get("REUNITE_SMTP_FROM") or "reunite@localhost",
                   smtp_timeout=_number(env, "REUNITE_SMTP_TIMEOUT", 30.0),
                   webhook_secret=get("REUNITE_WEBHOOK_SECRET"),
                   webhook_timeout=_number(env, "REUNITE_WEBHOOK_TIMEOUT", 10.0),
                   sms_url=get("REUNITE_SMS_URL"), sms_secret=get("REUNITE_SMS_SECRET"),
                   wechat_url=get("REUNITE_WECHAT_URL"), wechat_secret=get("REUNITE_WECHAT_SECRET"))

    def channel(self, kind: str, *, stream: IO[str] | None = sys.stdout) -> Channel:
        """A new channel of ``kind`` as configured (:class:`ChannelNotConfigured` if it is not)."""
        if kind not in CHANNEL_KINDS:
            raise InputError(Problem(f"unknown channel {kind!r}; one of {', '.join(CHANNEL_KINDS)}",
                                     field="channel"))
        if self.backend == "console":
            return ConsoleChannel(kind, stream=stream, path=self.console_file)
        if kind == "email":
            if not self.smtp_host:
                raise ChannelNotConfigured("e-mail is not configured: set REUNITE_SMTP_HOST (and REUNITE_SMTP_PORT, "
                                           "REUNITE_SMTP_TLS, REUNITE_SMTP_USER/PASSWORD, REUNITE_SMTP_FROM), or "
                                           "REUNITE_NOTIFY_BACKEND=console for development")
            return SmtpChannel(self.smtp_host, self.smtp_port, tls=self.smtp_tls, user=self.smtp_user,
                               password=self.smtp_password, sender=self.smtp_from, timeout=self.smtp_timeout)
        if kind == "webhook":
            return WebhookChannel(self.webhook_secret or "", timeout=self.webhook_timeout)
        if kind == "sms":
            return GatewayChannel("sms", self.sms_url, self.sms_secret, timeout=self.webhook_timeout)
        return GatewayChannel("wechat", self.wechat_url, self.wechat_secret, timeout=self.webhook_timeout)

    def configured(self) -> dict[str, bool]:
        """Which kinds can send as configured (what a form offers)."""
        out = {}
        for kind in CHANNEL_KINDS:
            try:
                self.channel(kind, stream=None)
            except ChannelNotConfigured:
                out[kind] = False
            else:
                out[kind] = True
        return out


def channel(kind: str, environ: Mapping[str, str] | None = None, *, stream: IO[str] | None = sys.stdout) -> Channel:
    """A channel of ``kind`` (``email``, ``webhook``, ``sms``, ``wechat``) configured by ``environ``
    (default ``os.environ``); see the package docstring."""
    return NotifySettings.from_env(environ).channel(kind, stream=stream)
