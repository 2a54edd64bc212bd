"""Real local servers for the notification tests: an SMTP server (aiosmtpd) that keeps every message
it receives, and a webhook receiver (``http.server`` in a thread) that keeps every POST and checks
its signature.  Used by tests/notify, tests/alerts, the e2e test and the benchmark."""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from reunite.notify import verify


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """One message the SMTP server accepted: its envelope recipients and the parsed e-mail."""

    rcpt: list[str]
    mail: email.message.EmailMessage

    @property
    def text(self) -> str:
        return self.mail.get_content()


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(Received(list(envelope.rcpt_tos), mail))
            self.sink.sessions.append((bool(session.authenticated), session.ssl is not None))
        return "250 Message accepted"


class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 (plain SMTP, no TLS) in its own thread; ``messages`` is what
    it received (``sessions``: whether each message's session had logged in and used TLS); addresses in
    ``refuse`` get a 550 at RCPT.  Keyword arguments go to aiosmtpd's ``Controller`` (TLS, login)."""

    def __init__(self, **controller):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.messages: list[Received] = []
        self.sessions: list[tuple[bool, bool]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **controller)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        """The environment that points Reunite's e-mail channel at this server."""
        return {"REUNITE_SMTP_HOST": "127.0.0.1", "REUNITE_SMTP_PORT": str(self.port), "REUNITE_SMTP_TLS": "none",
                "REUNITE_SMTP_FROM": "alerts@reunite.test"}

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt]


@dataclass
class Hook:
    path: str
    headers: dict
    body: bytes
    valid: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every POST (checking its signature under ``secret``)
    and answers ``status`` (200 by default)."""

    secret: str = "webhook-test-secret"
    status: int = 200
    hooks: list[Hook] = field(default_factory=list)

    def __post_init__(self):
        receiver = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                ok = verify(receiver.secret, self.headers.get("X-Reunite-Timestamp", ""), body,
                            self.headers.get("X-Reunite-Signature", ""))
                receiver.hooks.append(Hook(self.path, dict(self.headers), body, ok))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


SMTP_SINK = "/usr/sbin/smtp-sink"


class PostfixSink:
    """Postfix's ``smtp-sink`` (a C test server; Debian package ``postfix``) on 127.0.0.1: it announces
    PIPELINING, accepts everything and, with ``dump=True``, writes each transaction to a file in
    a folder of its own under /tmp (envelope in ``X-Mail-Args``/``X-Rcpt-Args`` headers, then the message;
    removed on exit).  Run as root it needs ``-u``: it drops to ``nobody``, who must reach the folder."""

    def __init__(self, *, dump: bool = True):
        import os
        import tempfile

        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="smtp-sink-")
        self.args = [SMTP_SINK]
        if os.geteuid() == 0:
            os.chown(self.folder, 65534, 65534)
            self.args += ["-u", "nobody"]
        if dump:
            self.args += ["-d", f"{self.folder}/%M."]
        self.args += ["-c", f"127.0.0.1:{self.port}", "256"]
        self.proc = None
        self.counter = os.path.join(self.folder, "counter.txt")

    def __enter__(self) -> PostfixSink:
        import subprocess
        import time

        with open(self.counter, "wb") as out:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        return self
            except OSError:
                time.sleep(0.01)
        self.__exit__()
        raise RuntimeError("smtp-sink did not start")

    def __exit__(self, *exc) -> None:
        import shutil

        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def env(self) -> dict[str, str]:
        return {"REUNITE_SMTP_HOST": "127.0.0.1", "REUNITE_SMTP_PORT": str(self.port), "REUNITE_SMTP_TLS": "none",
                "REUNITE_SMTP_FROM": "alerts@reunite.test"}

    @property
    def delivered(self) -> int:
        """How many transactions ended with their final "." (smtp-sink's ``-c`` counter ``mesg=``)."""
        with open(self.counter, "rb") as fh:
            counts = re.findall(rb"mesg=(\d+)", fh.read())
        return int(counts[-1]) if counts else 0

    @property
    def messages(self) -> list[Received]:
        """What it received so far (the dump files), oldest first.  A transaction whose DATA never ended
        leaves a file too, empty when it was small (the capture was never flushed): skipped; count complete
        transactions with :attr:`delivered`."""
        import glob
        import os

        out = []
        for path in sorted(glob.glob(os.path.join(self.folder, "*.*")), key=os.path.getmtime):
            if path == self.counter or os.path.getsize(path) == 0:
                continue
            with open(path, "rb") as fh:
                mail = email.message_from_binary_file(fh, policy=email.policy.default)
            rcpt = [a.strip().strip("<>").split()[0] for a in mail.get_all("X-Rcpt-Args", [])]
            out.append(Received(rcpt, mail))
        return out
