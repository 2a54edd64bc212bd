"""reunite.notify against real servers: aiosmtpd for e-mail, an http.server receiver for webhooks;
the console backend; configuration from the environment; channels that are not configured."""

from __future__ import annotations

import io
import json

import pytest

from reunite.errors import InputError
from reunite.notify import (
    Channel,
    ChannelNotConfigured,
    ConsoleChannel,
    Delivery,
    Message,
    NotifySettings,
    channel,
    check_recipient,
    sign,
    verify,
)

from .servers import SmtpSink, WebhookReceiver

MSG = Message("寻人 Appeal", body_zh="请帮助寻找这个孩子。", body_en="Please help find this child.",
              key="alert-1-sub-2", unsubscribe_url="http://x.test/alerts/unsubscribe/tok")


def test_smtp_delivers_a_bilingual_mail_with_its_headers():
    with SmtpSink() as sink:
        ch = channel("email", sink.env())
        assert isinstance(ch, Channel)
        got = ch.send("a@example.org", MSG)
        ch.send("b@example.org", "Second", body_zh="第二封", body_en="second")   # same connection, parts given
        ch.close()
    assert got == Delivery(True, "email", message_id="<alert-1-sub-2@reunite.test>")
    assert [m.rcpt for m in sink.messages] == [["a@example.org"], ["b@example.org"]]
    mail = sink.messages[0].mail
    assert mail["Subject"] == "寻人 Appeal"
    assert mail["Message-ID"] == "<alert-1-sub-2@reunite.test>"
    assert mail["List-Unsubscribe"] == "<http://x.test/alerts/unsubscribe/tok>"
    text = sink.messages[0].text
    assert text.index("请帮助寻找这个孩子") < text.index("Please help find this child") < text.index("Unsubscribe")


def test_smtp_refused_recipient_is_permanent_and_server_down_is_retryable():
    with SmtpSink() as sink:
        sink.refuse.add("gone@example.org")
        ch = channel("email", sink.env())
        bad = ch.send("gone@example.org", MSG)
        assert (bad.ok, bad.error, bad.retryable) == (False, "SMTPRecipientsRefused", False)
        assert ch.send("ok@example.org", MSG).ok      # the channel still works after a refusal
        ch.close()
        port = sink.port
    down = channel("email", {"REUNITE_SMTP_HOST": "127.0.0.1", "REUNITE_SMTP_PORT": str(port),
                             "REUNITE_SMTP_TLS": "none", "REUNITE_SMTP_TIMEOUT": "2"})
    res = down.send("ok@example.org", MSG)
    assert not res.ok and res.retryable and res.error == "ConnectionRefusedError"
    assert "example" not in repr(res)     # no recipient in what gets logged


def test_webhook_posts_signed_json_and_reports_http_errors():
    with WebhookReceiver() as hook:
        ch = channel("webhook", {"REUNITE_WEBHOOK_SECRET": hook.secret})
        assert ch.send(hook.url + "/in", MSG).ok
        hook.status = 503
        res = ch.send(hook.url + "/in", MSG)
        hook.status = 404
        res404 = ch.send(hook.url + "/in", MSG)
    assert (res.ok, res.error, res.retryable) == (False, "HTTP 503", True)
    assert (res404.ok, res404.error, res404.retryable) == (False, "HTTP 404", False)
    first = hook.hooks[0]
    assert first.valid and first.path == "/in"
    assert first.headers["X-Reunite-Delivery"] == "alert-1-sub-2"
    assert first.json["body_zh"] == "请帮助寻找这个孩子。" and first.json["unsubscribe_url"].endswith("/tok")


def test_signature_by_hand_and_verify_refuses_tampering_and_old_timestamps():
    import hashlib
    import hmac

    body = b'{"a":1}'
    want = "sha256=" + hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", "1700000000", body) == want
    assert verify("k", "1700000000", body, want, now=1700000100)
    assert not verify("k", "1700000000", body + b" ", want, now=1700000100)
    assert not verify("other", "1700000000", body, want, now=1700000100)
    assert not verify("k", "1700000000", body, want, now=1700000000 + 301)
    assert not verify("k", "yesterday", body, want)


def test_console_records_prints_and_appends_json_lines(tmp_path):
    out = io.StringIO()
    path = tmp_path / "outbox.jsonl"
    ch = ConsoleChannel("sms", stream=out, path=str(path))
    res = ch.send("+86 138-0000-0000", "Reunite", body_zh="您的验证码是 123456", body_en="Your code is 123456")
    assert res.ok and ch.sent[0].recipient == "+8613800000000"
    assert "123456" in out.getvalue()
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["to"] == "+8613800000000" and line["body_zh"] == "您的验证码是 123456" and line["kind"] == "sms"
    env = channel("wechat", {"REUNITE_NOTIFY_BACKEND": "console"}, stream=None)
    assert isinstance(env, ConsoleChannel) and env.kind == "wechat"


@pytest.mark.parametrize("kind, names", [("email", "REUNITE_SMTP_HOST"), ("webhook", "REUNITE_WEBHOOK_SECRET"),
                                          ("sms", "REUNITE_SMS_URL"), ("wechat", "REUNITE_WECHAT_URL")])
def test_unconfigured_channels_say_what_to_set(kind, names):
    with pytest.raises(ChannelNotConfigured, match=names):
        channel(kind, {})
    assert NotifySettings.from_env({}).configured() == {"email": False, "webhook": False, "sms": False,
                                                        "wechat": False}


def test_sms_gateway_posts_signed_text_when_configured():
    with WebhookReceiver() as gw:
        ch = channel("sms", {"REUNITE_SMS_URL": gw.url + "/sms", "REUNITE_SMS_SECRET": gw.secret})
        assert ch.send("+8613800000000", MSG).ok
    assert gw.hooks[0].valid and gw.hooks[0].json["to"] == "+8613800000000"
    assert "请帮助寻找这个孩子" in gw.hooks[0].json["text"]


def test_bad_recipients_and_messages_name_the_field_not_the_value():
    for kind, value in [("email", "not-an-address"), ("webhook", "ftp://x"), ("sms", "call me"),
                        ("wechat", "a b")]:
        with pytest.raises(InputError) as err:
            check_recipient(kind, value)
        assert err.value.problems[0].field == "recipient" and value not in str(err.value)
    with pytest.raises(InputError, match="subject"):
        Message("two\nlines", body_en="x")
    with pytest.raises(InputError, match="body"):
        Message("s")
    with pytest.raises(InputError, match="REUNITE_SMTP_PORT"):
        NotifySettings.from_env({"REUNITE_SMTP_PORT": "smtp"})
    with pytest.raises(InputError, match="REUNITE_NOTIFY_BACKEND"):
        NotifySettings.from_env({"REUNITE_NOTIFY_BACKEND": "pigeon"})


def test_two_phase_smtp_sends_nothing_before_release_and_console_stages_until_flush(tmp_path):
    with SmtpSink() as sink:
        ch = channel("email", sink.env())
        ready = ch.prepare("a@example.org", MSG)
        assert ready.failed is None and sink.messages == []        # the DATA has not ended
        ready.release()
        assert ready.finish().ok
        dropped = ch.prepare("b@example.org", MSG)
        dropped.abort()                                             # the connection closes: nothing delivered
        assert ch.send("c@example.org", MSG).ok
        ch.close()
    assert [m.rcpt for m in sink.messages] == [["a@example.org"], ["c@example.org"]]
    console = ConsoleChannel("sms", stream=None, path=str(tmp_path / "out.jsonl"))
    staged = [console.prepare(f"+86138000000{k}", MSG) for k in range(3)]
    for p in staged[:2]:
        p.release()
    assert console.sent == [] and not (tmp_path / "out.jsonl").exists()
    console.flush()
    assert [s.recipient for s in console.sent] == ["+861380000000", "+861380000001"]
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    assert all(p.finish().ok for p in staged[:2])
