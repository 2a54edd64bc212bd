"""reunite.notify.fleet: many SMTP connections from one event loop, each message held short of its final
'.' until released; against aiosmtpd (no PIPELINING) and Postfix's smtp-sink (PIPELINING).  The e-mail a
template renders is compared with the one the standard library builds (SmtpChannel.email)."""

from __future__ import annotations

import email
import email.policy

import pytest

from needs import need_smtp_sink
from reunite.notify import Message, SmtpChannel
from reunite.notify.fleet import SmtpFleet, Template

from .servers import PostfixSink, SmtpSink

MSG = Message("儿童失踪预警 · 云南省昆明市 / Missing child alert · Kunming, Yunnan",
              body_zh="一名女孩（走失时约 2 岁）于 2026-12-05 在云南省昆明市失踪。\n如有线索请拨打：110",
              body_en="A girl (about 2 years old when missing) went missing in Kunming.\n.A line with a dot",
              key="alert-7-sub-42", unsubscribe_url="http://reunite.test/alerts/unsubscribe/NDI.abc-_DEF")


def _parse(data: bytes) -> email.message.EmailMessage:
    unstuffed = b"\r\n".join(line[1:] if line.startswith(b".") else line for line in data.split(b"\r\n"))
    return email.message_from_bytes(unstuffed, policy=email.policy.default)


def test_a_template_renders_the_email_the_standard_library_builds():
    ch = SmtpChannel("127.0.0.1", 25, tls="none", sender="alerts@reunite.test")
    slow = ch.email("someone@example.org", MSG)
    tpl = Template(MSG, "alerts@reunite.test", date=slow["Date"])
    fast = _parse(tpl.render("someone@example.org", MSG.key, MSG.unsubscribe_url))
    for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "Content-Type",
                   "Content-Transfer-Encoding", "MIME-Version"):
        assert str(fast[header]) == str(slow[header]), header
    assert fast.get_content() == slow.get_content() == MSG.text()
    assert "退订 / Unsubscribe: http://reunite.test/alerts/unsubscribe/NDI.abc-_DEF" in fast.get_content()
    # no line of the rendered data may start with a lone "." (it would end the DATA early)
    data = tpl.render("someone@example.org", MSG.key, MSG.unsubscribe_url)
    assert data.endswith(b"\r\n") and b"\r\n.\r\n" not in data and b"\n" not in data.replace(b"\r\n", b"")


def _delivered(server) -> int:
    return server.delivered if isinstance(server, PostfixSink) else len(server.messages)


def _fleet(server, size):
    env = server.env()
    return SmtpFleet("127.0.0.1", int(env["REUNITE_SMTP_PORT"]), size=size, tls="none", sender="alerts@reunite.test")


def _items(fleet, tpl, names):
    return [fleet.item(f"{n}@example.org", tpl.render(f"{n}@example.org", f"k-{n}", f"http://x.test/u/{n}"))
            for n in names]


def _two_phase(server, pipelining: bool):
    with _fleet(server, 3) as fleet:
        tpl = fleet.template(MSG)
        out = fleet.turn([False] * 3, _items(fleet, tpl, ["a", "b", "c"]))
        assert out == [(None, None)] * 3 and fleet.held() == [True] * 3
        assert [c.pipelining for c in fleet.conns] == [pipelining] * 3
        assert _delivered(server) == 0                     # prepared: no DATA has ended
        # release a and c, drop b unsent; prepare d on the first connection in the same turn
        out = fleet.turn([True, False, True], _items(fleet, tpl, ["d"]))
        assert [r.ok if r else None for r, _ in out] == [True, None, True] and out[0][1] is None
        assert _delivered(server) == 2
        assert sorted(r for m in server.messages for r in m.rcpt) == ["a@example.org", "c@example.org"]
        out = fleet.turn([True, False, False], [])
        assert out[0][0].ok and fleet.held() == [False] * 3
        # the dropped connection reconnects for the next message
        out = fleet.turn([False] * 3, [None, *_items(fleet, tpl, ["e"])])
        assert out[1] == (None, None)
        assert fleet.turn([False, True, False], [])[1][0].ok
    got = server.messages
    assert _delivered(server) == 4
    assert sorted(r for m in got for r in m.rcpt) == ["a@example.org", "c@example.org", "d@example.org",
                                                      "e@example.org"]
    mail = next(m.mail for m in got if m.rcpt == ["d@example.org"])
    assert mail["Message-ID"] == "<k-d@reunite.test>" and mail["To"] == "d@example.org"
    assert mail.get_content().endswith("退订 / Unsubscribe: http://x.test/u/d\n")
    assert ".A line with a dot" in mail.get_content()


def test_fleet_holds_each_message_until_released_aiosmtpd():
    with SmtpSink() as sink:
        _two_phase(sink, pipelining=False)


def test_fleet_holds_each_message_until_released_smtp_sink_with_pipelining():
    need_smtp_sink()
    with PostfixSink() as sink:
        _two_phase(sink, pipelining=True)


def test_refusals_are_reported_and_the_connection_goes_on():
    with SmtpSink() as sink, _fleet(sink, 2) as fleet:
        sink.refuse.add("bad@example.org")
        tpl = fleet.template(MSG)
        out = fleet.turn([False, False], _items(fleet, tpl, ["bad", "ok"]))
        refused = out[0][1]
        assert refused.error == "SMTP 550" and not refused.retryable and not refused.uncertain
        out = fleet.turn([False, True], _items(fleet, tpl, ["next"]))        # RSET, then the next transaction
        assert out[0][1] is None and out[1][0].ok
        assert fleet.turn([True, False], [])[0][0].ok
        assert fleet.item("ü@example.org", b"").error == "NonAsciiRecipient"
    assert sorted(r for m in sink.messages for r in m.rcpt) == ["next@example.org", "ok@example.org"]


def test_a_server_that_vanishes_after_the_final_dot_makes_the_outcome_uncertain():
    with SmtpSink() as sink:
        fleet = _fleet(sink, 1)
        tpl = fleet.template(MSG)
        assert fleet.turn([False], _items(fleet, tpl, ["a"])) == [(None, None)]
    # the server is gone: the release cannot read a reply, so the message may or may not have arrived
    released, _ = fleet.turn([True], [])[0]
    assert not released.ok and released.uncertain and not released.retryable
    failed = fleet.turn([False], _items(fleet, tpl, ["b"]))[0][1]     # nothing listens: retry later
    assert failed.retryable and not failed.uncertain
    fleet.close()


@pytest.mark.parametrize("size", [1, 4])
def test_unreachable_server_is_a_retryable_failure(size):
    from .servers import free_port

    fleet = SmtpFleet("127.0.0.1", free_port(), size=size, tls="none")
    tpl = fleet.template(MSG)
    out = fleet.turn([False] * size, _items(fleet, tpl, [f"s{k}" for k in range(size)]))
    assert all(f.retryable and r is None for r, f in out)
    fleet.close()


class _Auth:
    """aiosmtpd authenticator: one user."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = auth_data.login == b"reunite" and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


def _certificate(folder) -> tuple[str, str]:
    import subprocess

    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert], check=True,
                   capture_output=True)
    return cert, key


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
def test_fleet_over_tls_with_login(tmp_path, tls):
    """STARTTLS (port 587 style) and implicit TLS (465), the server's certificate checked against a CA file,
    then AUTH PLAIN; a wrong password is a retryable failure (the configuration, not the recipient)."""
    import ssl

    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # (aiosmtpd counts only STARTTLS as TLS for auth_require_tls: with implicit TLS it would refuse AUTH, 538)
    tls_args = ({"tls_context": context, "require_starttls": True, "auth_require_tls": True} if tls == "starttls"
                else {"ssl_context": context, "auth_require_tls": False})
    with SmtpSink(authenticator=_Auth(), **tls_args) as sink:
        fleet = SmtpFleet("127.0.0.1", sink.port, size=2, tls=tls, user="reunite", password="s3cret", cafile=cert,
                          sender="alerts@reunite.test")
        tpl = fleet.template(MSG)
        assert fleet.turn([False, False], _items(fleet, tpl, ["a", "b"])) == [(None, None)] * 2
        assert all(r.ok for r, _ in fleet.turn([True, True], []))
        fleet.close()
        wrong = SmtpFleet("127.0.0.1", sink.port, size=1, tls=tls, user="reunite", password="nope", cafile=cert)
        failed = wrong.turn([False], _items(wrong, tpl, ["c"]))[0][1]
        assert failed.error == "SMTP 535" and failed.retryable
        wrong.close()
        untrusted = SmtpFleet("127.0.0.1", sink.port, size=1, tls=tls, user="reunite", password="s3cret")
        failed = untrusted.turn([False], _items(untrusted, tpl, ["d"]))[0][1]   # the system's CAs: refused
        assert failed.error == "SSLCertVerificationError" and failed.retryable
        untrusted.close()
    assert sorted(r for m in sink.messages for r in m.rcpt) == ["a@example.org", "b@example.org"]
    # logged in; aiosmtpd records TLS in the session only after STARTTLS (with implicit TLS the refused
    # certificate above is the proof that the connection was TLS)
    assert sink.sessions == [(True, tls == "starttls")] * 2


def test_a_server_that_never_answers_the_final_dot_times_out_uncertain():
    """A server that takes MAIL, RCPT, DATA and the content, then never replies to the final '.': after the
    fleet's timeout the message is uncertain (never retried); the next one on a fresh connection goes."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    answered_dot = threading.Event()

    def serve():
        for n in range(2):
            conn, _ = listener.accept()
            f = conn.makefile("rb")
            conn.sendall(b"220 silent\r\n")
            data = False
            for line in f:
                if data:
                    if line == b".\r\n":
                        data = False
                        if n == 0:
                            continue             # the first connection: silence after the "."
                        answered_dot.set()       # before the reply: the client may return as soon as it reads it
                        conn.sendall(b"250 ok\r\n")
                    continue
                cmd = line[:4].upper()
                if cmd == b"EHLO":
                    conn.sendall(b"250 silent\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go\r\n")
                    data = True
                elif cmd == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"250 ok\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    fleet = SmtpFleet("127.0.0.1", port, size=1, tls="none", timeout=3)      # generous: a loaded machine
    tpl = fleet.template(MSG)
    assert fleet.turn([False], _items(fleet, tpl, ["a"])) == [(None, None)]
    released, _ = fleet.turn([True], [])[0]
    assert not released.ok and released.uncertain and released.error == "NoReply TimeoutError"
    assert fleet.turn([False], _items(fleet, tpl, ["b"])) == [(None, None)]      # a new connection
    assert fleet.turn([True], [])[0][0].ok and answered_dot.is_set()
    fleet.close()
    listener.close()
