"""One signer for every token Reunite hands out, keyed outside the database.

Tokens Reunite signs, each under its own *purpose* (a salt: a token of one purpose never verifies as
another's):

=====================  ==================================================  ===========================
purpose                what                                                form
=====================  ==================================================  ===========================
``poster``             a poster's QR code (:mod:`reunite.cases.appeals`)    96-bit MAC, 16 characters
``alerts-confirm``     an alert subscription's confirmation link            itsdangerous, timed
``alerts-unsubscribe`` the unsubscribe link in every alert                  itsdangerous, never expires
``api-token``          the web API's bearer tokens                          itsdangerous, timed
=====================  ==================================================  ===========================

**The key** is ``$REUNITE_SECRET_KEY`` (:data:`SECRET_ENV`), the web server's secret, never stored in the
database: a copy of the store (a backup, a dump handed to a developer) cannot sign a poster.  Every
process that signs or checks (the web application, ``reunite appeals``, ``reunite alerts``) must be
given the same value.  The key of a purpose is HMAC-SHA256(key, ``"reunite-" + purpose``) for the MACs;
the itsdangerous tokens use itsdangerous's own derivation with the salt ``"reunite-" + purpose`` (the
salts the alert links and API tokens had before this module, so links already sent keep working).

**Retired keys** stay in the *key ring*, a text file outside the database (:data:`KEY_RING_ENV`,
default :data:`DEFAULT_KEY_RING` in the working directory), so that what they signed keeps verifying
and is said to be signed with a retired key.  One key a line, ``#`` starts a comment::

    # kind      key                                            note (free text)
    secret      Zb3…a long retired REUNITE_SECRET_KEY…          rotated 2027-03-01
    raw:poster  qd4kZAh7CS3S99yzK…                               the store's poster key until migration 0019

``secret`` is a former ``$REUNITE_SECRET_KEY`` (every purpose, derived as above); ``raw:<purpose>`` a key
used as the MAC key of one purpose as it is (the random poster key the store kept until migration 0019,
which moved it here).  New tokens are always signed with the current key.

Without ``$REUNITE_SECRET_KEY`` the web application warns at start and signs with a random key of the
process (:meth:`Signer.ephemeral`): sessions and API tokens end with the process, as documented, and no
poster can be made (its QR code would stop verifying at the next restart); a poster's token that none of
the keys verifies is then *unverifiable*, not forged.  The command line refuses to sign or check without
the key (:class:`SigningKeyMissing` names the variable).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from ..errors import InputError, Problem, ReuniteError

__all__ = ["DEFAULT_KEY_RING", "KEY_RING_ENV", "MIN_KEY_LENGTH", "PURPOSES", "SECRET_ENV", "RingKey", "Signer",
           "SigningKeyMissing", "append_to_ring", "read_ring", "ring_from_env", "ring_path"]

log = logging.getLogger("reunite.signing")

SECRET_ENV = "REUNITE_SECRET_KEY"
KEY_RING_ENV = "REUNITE_KEY_RING"
DEFAULT_KEY_RING = "reunite-key-ring"
PURPOSES = ("poster", "alerts-confirm", "alerts-unsubscribe", "api-token")
#: The shortest retired key the key ring accepts, in characters.
MIN_KEY_LENGTH = 8
#: The MAC length of compact tokens: 16 URL-safe base64 characters, the first 96 bits of HMAC-SHA256.
MAC_BYTES = 12


class SigningKeyMissing(ReuniteError):
    """No signing key is configured where one is needed; says which variable to set."""


@dataclass(frozen=True)
class RingKey:
    """A retired key of the key ring: ``kind`` is ``secret`` (a former ``$REUNITE_SECRET_KEY``) or
    ``raw:<purpose>`` (a MAC key of one purpose, used as it is)."""

    kind: str
    key: str = field(repr=False)
    note: str = ""


def _purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown signing purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    return purpose


def _compact(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode()


def _derived(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"reunite-{purpose}".encode(), hashlib.sha256).digest()


class Signer:
    """Signs and checks tokens with the current key, and checks them against the retired keys too.

    ``key``: the current key (``$REUNITE_SECRET_KEY``); ``ring``: the retired keys; ``ephemeral``: the key
    is a random one of this process (no ``$REUNITE_SECRET_KEY``): nothing lasting may be signed with it.
    """

    def __init__(self, key: str, ring: Sequence[RingKey] = (), *, ephemeral: bool = False):
        if not key:
            raise SigningKeyMissing(f"{SECRET_ENV} is empty: signing needs a key")
        self._key = key
        self.ring = tuple(ring)
        self.ephemeral = ephemeral

    @classmethod
    def random(cls, ring: Sequence[RingKey] = ()) -> Signer:
        """A signer with a random key of this process (see the module: nothing lasting is signed)."""
        return cls(secrets.token_urlsafe(48), ring, ephemeral=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, needed_for: str = "signing") -> Signer:
        """The signer of ``$REUNITE_SECRET_KEY`` and the key ring (``$REUNITE_KEY_RING``, or
        ``reunite-key-ring`` in the working directory when that file exists).  Raises
        :class:`SigningKeyMissing` without the key (``needed_for`` says what needed it)."""
        env = os.environ if environ is None else environ
        key = (env.get(SECRET_ENV) or "").strip()
        if not key:
            raise SigningKeyMissing(
                f"{SECRET_ENV} is not set: {needed_for} needs the key the web server signs with; set it to the same "
                "long random value in every process that uses the store")
        return cls(key, ring_from_env(env))

    # ------------------------------------------------------------------ compact MACs (posters)

    def mac(self, purpose: str, message: str) -> str:
        """The 16-character MAC of ``message`` for ``purpose``, with the current key."""
        return _compact(_derived(self._key, _purpose(purpose)), message)

    def check_mac(self, purpose: str, message: str, mac: str) -> str | None:
        """Which key made ``mac``: ``"current"``, ``"retired"`` (a key of the ring), or None (none did)."""
        _purpose(purpose)
        if hmac.compare_digest(mac.encode(), _compact(_derived(self._key, purpose), message).encode()):
            return "current"
        for k in self.ring:
            key = _derived(k.key, purpose) if k.kind == "secret" else (
                k.key.encode() if k.kind == f"raw:{purpose}" else None)
            if key is not None and hmac.compare_digest(mac.encode(), _compact(key, message).encode()):
                return "retired"
        return None

    # ------------------------------------------------------------------ itsdangerous tokens

    def serializer(self, purpose: str, *, timed: bool = False) -> URLSafeSerializer:
        """An itsdangerous serializer for ``purpose`` (salt ``reunite-<purpose>``) that signs with the
        current key and also accepts the ring's retired ``secret`` keys."""
        keys = [k.key for k in self.ring if k.kind == "secret"] + [self._key]   # itsdangerous signs with the last
        cls = URLSafeTimedSerializer if timed else URLSafeSerializer
        return cls(keys, salt=f"reunite-{_purpose(purpose)}")

    def __repr__(self) -> str:
        return f"Signer(ring={len(self.ring)} retired key(s), ephemeral={self.ephemeral})"


# ------------------------------------------------------------------------------ the key ring

_KINDS = ("secret", *(f"raw:{p}" for p in PURPOSES))


def ring_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the key ring is: ``$REUNITE_KEY_RING``, else ``reunite-key-ring`` in the working directory."""
    env = os.environ if environ is None else environ
    return Path(env.get(KEY_RING_ENV) or DEFAULT_KEY_RING)


def ring_from_env(environ: Mapping[str, str] | None = None) -> tuple[RingKey, ...]:
    """The retired keys of the configured key ring; none when its file does not exist (a ring named by
    ``$REUNITE_KEY_RING`` that does not exist is logged as a warning: the tokens of its keys, if it had
    any, would not verify)."""
    env = os.environ if environ is None else environ
    path = ring_path(env)
    if not path.exists():
        if env.get(KEY_RING_ENV):
            log.warning("%s names %s, which does not exist: no retired signing key is known", KEY_RING_ENV, path)
        return ()
    return read_ring(path)


def read_ring(path: str | Path) -> tuple[RingKey, ...]:
    """The keys of a key ring file; :class:`InputError` naming the file, line and field of every bad line
    (the key itself is never quoted)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Problem(f"the key ring {path} does not exist (set {KEY_RING_ENV} to the file that holds "
                                 "the retired keys, or unset it)", file=str(path), field=KEY_RING_ENV)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(f"the key ring cannot be read: {type(exc).__name__}", file=str(path))) from None
    keys, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if parts[0] not in _KINDS:
            problems.append(Problem(f"unknown kind {parts[0][:20]!r}: one of {', '.join(_KINDS)}", file=str(path),
                                    line=n, field="kind"))
            continue
        if len(parts) < 2 or len(parts[1]) < MIN_KEY_LENGTH:
            problems.append(Problem(f"the key is missing or shorter than {MIN_KEY_LENGTH} characters", file=str(path),
                                    line=n, field="key"))
            continue
        keys.append(RingKey(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    if problems:
        raise InputError(problems)
    return tuple(keys)


def append_to_ring(path: str | Path, kind: str, key: str, note: str) -> None:
    """Add a retired key to a key ring file (made, readable by its owner only, if it does not exist)."""
    if kind not in _KINDS or len(key) < MIN_KEY_LENGTH or any(c.isspace() for c in key):
        raise ValueError(f"a ring key has a known kind and is a word of at least {MIN_KEY_LENGTH} characters")
    path = Path(path)
    new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        if new:
            f.write("# Reunite's retired signing keys (reunite.cases.signing): what they signed still verifies.\n"
                    "# kind  key  note.  Keep this file as secret as REUNITE_SECRET_KEY.\n")
        f.write(f"{kind} {key} {' '.join(note.split())}\n")
