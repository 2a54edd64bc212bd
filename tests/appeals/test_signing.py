"""One signer (reunite.cases.signing) for posters, alert links and API tokens, keyed by $REUNITE_SECRET_KEY
outside the database, with a key ring of retired keys; migration 0019 moves the store's old poster key
to the ring, so posters printed before it keep verifying, and say they were signed with a retired key."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re

import pytest
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import text

from reunite.cases import db as store_db
from reunite.cases.appeals import poster_token, publish, set_published, verify_token
from reunite.cases.models import Appeal
from reunite.cases.signing import RingKey, Signer, SigningKeyMissing, read_ring
from reunite.errors import InputError

from .conftest import HOTLINE, SECRET, signer


def _b36(n: int) -> str:
    digits, out = "0123456789abcdefghijklmnopqrstuvwxyz", ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def legacy_token(key: str, appeal_id: int, published_at: dt.datetime) -> str:
    """A token as the posters printed before migration 0019 carry it, made from docs/appeals.md's
    formula (not from Reunite's code): the first 96 bits of HMAC-SHA256(store key,
    "reunite-poster:<id>:<edition>"), URL-safe base64."""
    edition = _b36(int(published_at.replace(tzinfo=dt.UTC).timestamp()))
    digest = hmac.new(key.encode(), f"reunite-poster:{appeal_id}:{edition}".encode(), hashlib.sha256).digest()
    return f"{appeal_id}.{edition}.{base64.urlsafe_b64encode(digest[:12]).decode()}"


def _found(store):
    return publish(store, user="inv", hotline=HOTLINE, case_number="KM-A", photo_id=store.info["photo"])


# ------------------------------------------------------------------------------ the signer


def test_purposes_are_kept_apart_and_the_key_is_the_environments():
    s = Signer("k" * 30)
    mac = s.mac("poster", "reunite-poster:1:abc")
    assert len(mac) == 16 and re.fullmatch(r"[A-Za-z0-9_\-]{16}", mac)
    assert s.check_mac("poster", "reunite-poster:1:abc", mac) == "current"
    assert s.check_mac("poster", "reunite-poster:2:abc", mac) is None            # another message
    assert Signer("j" * 30).check_mac("poster", "reunite-poster:1:abc", mac) is None   # another key
    confirm = s.serializer("alerts-confirm", timed=True).dumps(7)
    with pytest.raises(BadSignature):
        s.serializer("alerts-unsubscribe").loads(confirm)                     # a confirm token cannot unsubscribe
    with pytest.raises(ValueError, match="unknown signing purpose"):
        s.mac("cookies", "x")


def test_tokens_signed_before_the_one_signer_still_read():
    """Alert links already sent and API tokens already issued were signed by itsdangerous with these salts
    and the raw key: the signer reads them (built here as the old code built them)."""
    from reunite.alerts import Links
    from reunite.web.security import TokenSigner

    old_unsub = URLSafeSerializer(SECRET, salt="reunite-alerts-unsubscribe").dumps(41)
    old_confirm = URLSafeTimedSerializer(SECRET, salt="reunite-alerts-confirm").dumps(41)
    links = Links(Signer(SECRET), "http://reunite.test")
    assert links.read("unsubscribe", old_unsub) == 41 and links.read("confirm", old_confirm) == 41
    old_api = URLSafeTimedSerializer(SECRET, salt="reunite-api-token").dumps({"uid": 3, "fp": "f", "tid": "t"})
    assert TokenSigner(Signer(SECRET), 3600).read(old_api) == (3, "f", "t")


def test_a_rotated_key_keeps_what_it_signed_valid_through_the_ring():
    from reunite.alerts import AlertError, Links

    old = Signer("old-key-" * 4)
    unsub = Links(old).token("unsubscribe", 5)
    mac = old.mac("poster", "m")
    new = Signer("new-key-" * 4, [RingKey("secret", "old-key-" * 4, "rotated")])
    assert Links(new).read("unsubscribe", unsub) == 5
    assert new.check_mac("poster", "m", mac) == "retired"
    assert new.check_mac("poster", "m", new.mac("poster", "m")) == "current"
    with pytest.raises(AlertError):
        Links(Signer("new-key-" * 4)).read("unsubscribe", unsub)                # without the ring: refused


def test_the_posters_key_is_not_in_the_store_and_a_copy_of_the_store_cannot_sign(store):
    a = _found(store)
    token = poster_token(a, signer())
    assert verify_token(store, token, a.id, signer=signer()).status == "genuine"
    values = store.execute(text("SELECT name, value FROM store_state")).all()
    assert all(SECRET not in (v or "") for _, v in values) and "poster_signing_key" not in {n for n, _ in values}
    # whoever holds the store but not the key signs with another key: forged
    other = Signer("someone-elses-key-with-the-db")
    assert verify_token(store, poster_token(a, other), a.id, signer=signer()).status == "forged"


def test_without_the_key_the_command_line_neither_signs_nor_checks(monkeypatch):
    monkeypatch.delenv("REUNITE_SECRET_KEY")
    with pytest.raises(SigningKeyMissing, match="REUNITE_SECRET_KEY is not set"):
        Signer.from_env(needed_for="a poster's QR code")


def test_a_random_key_signs_no_poster_and_cannot_call_one_forged(store):
    a = _found(store)
    token = poster_token(a, signer())
    server_without_key = Signer.random()
    with pytest.raises(SigningKeyMissing, match="REUNITE_SECRET_KEY"):
        poster_token(a, server_without_key)
    assert verify_token(store, token, a.id, signer=server_without_key).status == "unverifiable"
    assert verify_token(store, "1.abc.AAAAAAAAAAAAAAAA", a.id, signer=server_without_key).status == "unverifiable"
    assert verify_token(store, "<script>", a.id, signer=server_without_key).status == "forged"   # not a token


def test_a_bad_key_ring_is_named_by_file_line_and_field(tmp_path):
    ring = tmp_path / "ring"
    ring.write_text("# retired\nsecret abcdefghijkl rotated in March\nbogus abcdefghijkl\nraw:poster short\n"
                    "raw:poster qd4kZAh7CS3S99yzqd4kZAh7CS3S99yzqd4kZAh\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_ring(ring)
    assert [(p.line, p.field) for p in exc.value.problems] == [(3, "kind"), (4, "key")]
    assert all(p.file == str(ring) for p in exc.value.problems)
    assert "abcdefghijkl" not in str(exc.value)                                  # no key in an error
    ring.write_text("secret abcdefghijkl rotated in March\n", encoding="utf-8")
    assert read_ring(ring) == (RingKey("secret", "abcdefghijkl", "rotated in March"),)


# --------------------------------------------------------------------- migration 0019


def _before_0019_with_a_printed_poster(db_url):
    """A store at 0018 as it was: the store's own poster key, a published appeal, a poster printed."""
    store_db.upgrade(db_url, "0018")
    key = "qd4kZAh7CS3S99yzKm1LrT0w8Vb2Xc5Nf6Gh7Jk8Lp9"
    published = dt.datetime(2026, 12, 1, 9, 30, 0)
    engine = store_db.make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO found_children (case_number, sex, found_place, created_at, updated_at, kind) "
                          "VALUES ('KM-1', 'male', '云南省昆明市', '2014-02-20', '2014-02-20', 'found')"))
        conn.execute(text("INSERT INTO appeals (found_child_id, hotline, no_photo_reason, published, published_at, "
                          "created_at, updated_at) VALUES (1, '110', 'no photo was taken', true, :p, :p, :p)"),
                     {"p": published})
        conn.execute(text("INSERT INTO store_state (name, value, updated_at) VALUES ('poster_signing_key', :k, :p)"),
                     {"k": key, "p": published})
    engine.dispose()
    return key, legacy_token(key, 1, published)


def test_migration_0019_moves_the_key_to_the_ring_and_old_posters_keep_verifying(db_url, tmp_path, monkeypatch):
    ring = tmp_path / "moved-ring"
    monkeypatch.setenv("REUNITE_KEY_RING", str(ring))
    key, printed = _before_0019_with_a_printed_poster(db_url)
    store_db.upgrade(db_url)
    engine = store_db.make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM store_state WHERE name = 'poster_signing_key'")).scalar() == 0
    assert [(k.kind, k.key) for k in read_ring(ring)] == [("raw:poster", key)]
    assert oct(os.stat(ring).st_mode & 0o777) == "0o600"                         # as secret as the key
    store_db.upgrade(db_url)                                                      # again: nothing twice
    assert len(read_ring(ring)) == 1
    s = Signer.from_env()
    with store_db.open_session(db_url) as session:
        v = verify_token(session, printed, 1, signer=s)
        assert (v.status, v.retired_key, v.published_on) == ("genuine", True, "2026-12-01")
        aid, edition, mac = printed.split(".")
        assert verify_token(session, f"{aid}.{edition}.{mac[:-1]}{'B' if mac[-1] != 'B' else 'C'}", 1,
                            signer=s).status == "forged"                          # tampered
        assert verify_token(session, printed, 1, signer=Signer(SECRET)).status == "forged"   # without the ring
        new = poster_token(session.get(Appeal, 1), s)
        assert new != printed and verify_token(session, new, 1, signer=s).retired_key is False
        set_published(session, 1, False, user="inv")
        v = verify_token(session, printed, 1, signer=s)
        assert (v.status, v.retired_key) == ("withdrawn", True)
    store_db.downgrade(db_url, "0018")                                            # the key goes back
    with store_db.make_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT value FROM store_state WHERE name = 'poster_signing_key'")).scalar() == key
    store_db.upgrade(db_url)


def test_migration_0019_stops_rather_than_lose_the_key(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("REUNITE_KEY_RING", str(tmp_path / "no-such-folder" / "ring"))
    key, _ = _before_0019_with_a_printed_poster(db_url)
    with pytest.raises(InputError, match="REUNITE_KEY_RING"):
        store_db.upgrade(db_url)
    assert store_db.current_revision(db_url) == "0018"
    with store_db.make_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT value FROM store_state WHERE name = 'poster_signing_key'")).scalar() == key


# ------------------------------------------------------------------------------ the web


def test_the_verify_page_says_a_poster_was_signed_with_a_retired_key(client, ids, app, tmp_path):
    with app.state.sessionmaker() as s:
        a = s.get(Appeal, ids["appeal"])
        token = poster_token(a, Signer("the-key-before-the-rotation"))
    page = client.get(f"/appeals/{ids['appeal']}", params={"poster": token, "lang": "en"})
    assert 'data-status="forged"' in page.text                                    # not in the ring: forged
    app.state.signer = Signer("test-secret", [RingKey("secret", "the-key-before-the-rotation")])
    page = client.get(f"/appeals/{ids['appeal']}", params={"poster": token, "lang": "en"})
    assert 'data-status="genuine"' in page.text and 'id="poster-retired-key"' in page.text
    assert "signed with a retired key" in page.text
    zh = client.get(f"/appeals/{ids['appeal']}", params={"poster": token, "lang": "zh"}).text
    assert "已停用的密钥" in zh


def test_a_server_without_the_key_warns_makes_no_poster_and_calls_nothing_forged(world, tmp_path, monkeypatch,
                                                                                  capsys):
    from fastapi.testclient import TestClient

    from reunite.web import create_app

    url, media, ids = world
    monkeypatch.delenv("REUNITE_SECRET_KEY")
    app = create_app(url, media, reports_dir=tmp_path / "r", secure_cookies=False, match_after_import=False)
    assert "REUNITE_SECRET_KEY is not set" in capsys.readouterr().err             # warned at start
    with app.state.sessionmaker() as s:
        token = poster_token(s.get(Appeal, ids["appeal"]), Signer("test-secret"))
    client = TestClient(app)
    r = client.get(f"/appeals/{ids['appeal']}/poster")
    assert r.status_code == 503 and "REUNITE_SECRET_KEY" in r.text
    page = client.get(f"/appeals/{ids['appeal']}", params={"poster": token, "lang": "en"})
    assert 'data-status="unverifiable"' in page.text and 'id="posters-off"' in page.text
