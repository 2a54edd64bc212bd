"""Many e-mails fast, each held short of its final ``.`` until the caller says so: :class:`SmtpFleet`.

The alerts' fan-out (:mod:`reunite.alerts.sender`) sends thousands of nearly identical messages and must
never send one twice.  A fleet drives ``size`` SMTP connections from one asyncio event loop (no thread per
connection); each connection holds at most one message *prepared* — ``MAIL``, ``RCPT``, ``DATA`` answered
354 and the whole content written, all but the final ``.`` line, which a server needs before it delivers
anything (RFC 5321 §4.1.1.4; a connection that closes before it discards the transaction).  One
:meth:`SmtpFleet.turn` does, on every connection at once:

1. the final ``.`` of the message it holds (if the caller releases it) and the reply (``sent``, a refusal, or
   *uncertain* when the connection fails after the ``.`` was written: the server may have taken it, RFC 1047);
2. the next message's ``MAIL``, ``RCPT`` and ``DATA`` — in one write when the server announces ``PIPELINING``
   (RFC 2920; the ``.`` of step 1 goes in the same write) — and its content, then it is held.

So a turn costs one round trip per connection with a pipelining server (Postfix), four without (aiosmtpd).

Messages are rendered once per alert (:class:`Template`): the headers that do not vary are encoded by the
standard library's :mod:`email` once; per recipient only ``To``, ``Message-ID``, ``List-Unsubscribe`` and
the body's unsubscribe line change (the body is base64, re-encoded per recipient in C).  The result is the
same e-mail :meth:`SmtpChannel.email <reunite.notify.channels.SmtpChannel.email>` makes (a test compares
them), at a fraction of the cost.

Recipients are ASCII only here (a non-ASCII address needs SMTPUTF8: refused, not retried).
"""

from __future__ import annotations

import asyncio
import base64
import email.policy
import re
import ssl
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from ..errors import ReuniteError
from .channels import Delivery, Message, SmtpChannel, _message_id

__all__ = ["SmtpFleet", "Template"]

_KIND = "email"


class Template:
    """An e-mail rendered once; :meth:`render` fills in a recipient, its key and its unsubscribe link.

    ``message`` is the common part (subject and bodies; its ``key`` and ``unsubscribe_url`` are ignored)."""

    def __init__(self, message: Message, sender: str, *, date: str | None = None):
        head = EmailMessage()
        head["From"] = sender
        head["Subject"] = message.subject
        head["Date"] = date or formatdate(localtime=False)
        raw = head.as_bytes(policy=email.policy.SMTP).rstrip(b"\r\n") + b"\r\n"
        self._head = re.sub(rb"(?m)^\.", b"..", raw)
        self._tail = (b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'
                      b"MIME-Version: 1.0\r\n\r\n")
        self._text = Message(message.subject, message.body_zh, message.body_en).text()
        self._domain = sender.rpartition("@")[2] or "localhost"
        self.sender = sender

    def text(self, unsubscribe_url: str | None) -> str:
        """The plain text of one recipient's e-mail (as :meth:`Message.text`)."""
        if not unsubscribe_url:
            return self._text
        return self._text[:-1] + f"\n\n退订 / Unsubscribe: {unsubscribe_url}\n"

    def render(self, recipient: str, key: str | None, unsubscribe_url: str | None) -> bytes:
        """The e-mail's bytes as sent in DATA (CRLF, dot-stuffed, without the final ``.`` line)."""
        parts = [self._head, b"To: ", recipient.encode("ascii"), b"\r\nMessage-ID: ",
                 _message_id(key, self.sender).encode("ascii"), b"\r\n"]
        if unsubscribe_url:
            parts += [b"List-Unsubscribe: <", unsubscribe_url.encode("ascii"), b">\r\n"]
        body = base64.encodebytes(self.text(unsubscribe_url).encode("utf-8"))
        parts += [self._tail, body.replace(b"\n", b"\r\n")]
        return b"".join(parts)


@dataclass
class _Item:
    recipient: bytes
    data: bytes


class _Reply(ReuniteError):
    """An unexpected reply (code) on a connection: the transaction is abandoned (private: caught
    inside this module, never raised to a caller)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class _Conn:
    """One SMTP connection of a fleet."""

    def __init__(self, fleet: SmtpFleet):
        self.fleet = fleet
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pipelining = False
        self.held = False          # a message prepared: its final "." not yet written
        self.dirty = False         # a failed transaction to RSET before the next one
        self.releasing = False     # the "." written, its reply not yet read
        self.released: Delivery | None = None
        self.failed: Delivery | None = None

    async def _reply(self) -> tuple[int, bytes]:
        lines = []
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionResetError("the server closed the connection")
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                break
        try:
            return int(lines[-1][:3]), b"".join(lines)
        except ValueError:
            raise ConnectionError("not an SMTP reply") from None

    async def _command(self, line: bytes, ok: tuple[int, ...]) -> bytes:
        self.writer.write(line + b"\r\n")
        code, text = await self._reply()
        if code not in ok:
            raise _Reply(code)
        return text

    async def open(self) -> None:
        f = self.fleet
        context = ssl.create_default_context(cafile=f.cafile) if f.tls != "none" else None
        self.reader, self.writer = await asyncio.open_connection(
            f.host, f.port, ssl=context if f.tls == "ssl" else None, limit=1 << 16)
        code, _ = await self._reply()
        if code != 220:
            raise _Reply(code)
        ehlo = await self._command(b"EHLO " + f.local_name, (250,))
        if f.tls == "starttls":
            await self._command(b"STARTTLS", (220,))
            await self.writer.start_tls(context, server_hostname=f.host)
            ehlo = await self._command(b"EHLO " + f.local_name, (250,))
        self.pipelining = b"PIPELINING" in ehlo.upper().replace(b"-", b" ").split()
        if f.user:
            auth = base64.b64encode(b"\0" + f.user.encode() + b"\0" + (f.password or "").encode())
            await self._command(b"AUTH PLAIN " + auth, (235,))
        self.held = self.dirty = False

    def drop(self) -> None:
        """Close at once (a held message is discarded by the server: its DATA never ended)."""
        w, self.writer, self.reader, self.held = self.writer, None, None, False
        if w is not None:
            w.transport.abort()

    async def turn(self, release: bool, item: _Item | None) -> None:
        """Release the held message (when ``release``; else drop it unsent) and prepare ``item``; the
        outcomes are left in ``released`` and ``failed`` (read them even after a timeout)."""
        self.released = self.failed = None
        self.releasing = False
        if self.held and not release:
            self.drop()
        pipelined = b""
        if item is not None:
            pipelined = (b"MAIL FROM:<" + self.fleet.sender + b">\r\nRCPT TO:<" + item.recipient + b">\r\nDATA\r\n")
        if self.held:
            self.held, self.releasing = False, True
            try:
                together = item is not None and self.pipelining
                self.writer.write(b".\r\n" + (pipelined if together else b""))
                code, _ = await self._reply()
            except (OSError, ConnectionError, ssl.SSLError) as exc:
                self.drop()
                self.released = Delivery(False, _KIND, error=f"NoReply {type(exc).__name__}", uncertain=True)
                if item is not None:
                    self.failed = Delivery(False, _KIND, error=type(exc).__name__, retryable=True)
                return
            self.releasing = False
            self.released = (Delivery(True, _KIND) if code == 250 else
                             Delivery(False, _KIND, error=f"SMTP {code}", retryable=400 <= code < 500))
            if item is not None:
                self.failed = await self._prepare(item, pipelined if not together else None)
            return
        if item is not None:
            self.failed = await self._prepare(item, pipelined)

    async def _prepare(self, item: _Item, pipelined: bytes | None) -> Delivery | None:
        """MAIL, RCPT, DATA (``pipelined``: the three lines to write now; None: already written) and the
        content; None when the message is held, else the failure (nothing was sent)."""
        try:
            if self.writer is None:
                await self.open()
            if self.dirty:
                await self._command(b"RSET", (250,))
                self.dirty = False
            if pipelined is None or self.pipelining:
                if pipelined is not None:
                    self.writer.write(pipelined)
                codes = [(await self._reply())[0] for _ in range(3)]
            else:
                codes = []
                for line in pipelined.split(b"\r\n")[:3]:
                    self.writer.write(line + b"\r\n")
                    codes.append((await self._reply())[0])
                    if codes[-1] >= 400:
                        break
            bad = next((c for c, ok in zip(codes, ((250,), (250, 251), (354,)), strict=False) if c not in ok), None)
            if bad is not None:
                if len(codes) == 3 and codes[2] == 354:      # DATA accepted although a step failed: end it empty
                    self.writer.write(b".\r\n")
                    await self._reply()
                self.dirty = True
                return Delivery(False, _KIND, error=f"SMTP {bad}", retryable=400 <= bad < 500)
            self.writer.write(item.data)
            await self.writer.drain()
        except _Reply as exc:          # the connection's set-up (greeting, EHLO, STARTTLS, AUTH) or RSET
            self.drop()                # refused: the server or our configuration, not the recipient
            return Delivery(False, _KIND, error=f"SMTP {exc.code}", retryable=True)
        except (OSError, ConnectionError, ssl.SSLError) as exc:
            self.drop()
            return Delivery(False, _KIND, error=type(exc).__name__, retryable=True)
        self.held = True
        return None

    async def close(self) -> None:
        if self.writer is None:
            return
        if self.held:
            self.drop()
            return
        try:
            self.writer.write(b"QUIT\r\n")
            await asyncio.wait_for(self._reply(), 5)
        except (TimeoutError, OSError, ConnectionError):
            pass
        self.drop()


class SmtpFleet:
    """``size`` SMTP connections driven together (see the module) by an event loop in a thread of its own.

    ``turn(releases, items)``: ``releases[k]`` says whether connection k's held message goes out (else it
    is dropped unsent), ``items[k]`` (recipient, data) or None is prepared on it.  Returns, per connection,
    the released message's :class:`Delivery` (or None) and the preparation's failure (None: held)."""

    def __init__(self, host: str, port: int, *, size: int = 25, tls: str = "starttls", user: str | None = None,
                 password: str | None = None, sender: str = "reunite@localhost", timeout: float = 30.0,
                 cafile: str | None = None, local_name: str = "reunite.local"):
        self.host, self.port, self.tls, self.user, self.password = host, port, tls, user, password
        self.sender, self.timeout, self.cafile = sender.encode("ascii"), timeout, cafile
        self.sender_text = sender
        self.local_name = local_name.encode("ascii")
        self.conns = [_Conn(self) for _ in range(max(1, size))]
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="reunite-smtp-fleet", daemon=True)
        self._thread.start()

    @classmethod
    def of(cls, channel: SmtpChannel, size: int) -> SmtpFleet:
        """A fleet of ``size`` connections configured as ``channel`` (host, port, TLS, login, sender)."""
        return cls(channel.host, channel.port, size=size, tls=channel.tls, user=channel.user,
                   password=channel.password, sender=channel.sender, timeout=channel.timeout)

    @property
    def size(self) -> int:
        return len(self.conns)

    def template(self, message: Message) -> Template:
        return Template(message, self.sender_text)

    def item(self, recipient: str, data: bytes) -> _Item | Delivery:
        """What :meth:`turn` takes, or the failure of a recipient this fleet cannot send to."""
        try:
            return _Item(recipient.encode("ascii"), data)
        except UnicodeEncodeError:
            return Delivery(False, _KIND, error="NonAsciiRecipient", retryable=False)

    def held(self) -> list[bool]:
        return [c.held for c in self.conns]

    async def _one(self, conn: _Conn, release: bool, item: _Item | None):
        try:
            async with asyncio.timeout(self.timeout):
                await conn.turn(release, item)
        except Exception as exc:             # a timeout, or anything unforeseen: this connection only
            conn.drop()
            name = type(exc).__name__
            if conn.releasing:               # the "." was written: the server may have taken it
                conn.released = Delivery(False, _KIND, error=f"NoReply {name}", uncertain=True)
            if item is not None and conn.failed is None:
                conn.failed = Delivery(False, _KIND, error=name, retryable=True)
        return conn.released, conn.failed

    def submit(self, indices: list[int], releases: list[bool], items: list[_Item | None]) -> Future:
        """Start a turn on the connections ``indices`` (``releases`` and ``items`` by position); returns a
        future of their ``(released, failed)`` pairs.  Turns on disjoint connections may run together
        (the fan-out commits one group while another group's turn is on the wire)."""
        conns = [self.conns[k] for k in indices]

        async def run():
            return await asyncio.gather(*(self._one(c, r, i) for c, r, i in zip(conns, releases, items,
                                                                               strict=True)))
        return asyncio.run_coroutine_threadsafe(run(), self.loop)

    def turn(self, releases: list[bool], items: list[_Item | None]) -> list[tuple[Delivery | None, Delivery | None]]:
        """A turn of every connection, waited for; ``items`` (and ``releases``) may be shorter than the fleet
        (the rest prepare nothing, and drop what they hold)."""
        n = len(self.conns)
        return self.submit(list(range(n)), list(releases) + [False] * (n - len(releases)),
                           list(items) + [None] * (n - len(items))).result()

    def close(self) -> None:
        """QUIT every connection (a held message is dropped unsent) and stop the loop's thread."""
        if self.loop.is_closed():
            return

        async def run():
            await asyncio.gather(*(c.close() for c in self.conns))
        try:
            asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self.loop.close()

    def __enter__(self) -> SmtpFleet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
