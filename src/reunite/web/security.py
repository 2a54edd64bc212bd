"""Sessions, bearer tokens, CSRF tokens and rate limits of the web application.

- Pages keep the login in a signed session cookie (HttpOnly, SameSite=Lax, Secure unless turned
  off for plain-HTTP localhost), holding the user id, a fingerprint of their password hash (so a
  password change ends every session) and the session's CSRF token.
- The session cookie also carries the user's ``session_epoch``; logout bumps it, so a saved cookie
  stops working at once (every session of that user ends).
- The API takes bearer tokens from ``POST /api/v1/token``: signed (:mod:`reunite.cases.signing`),
  timed, carrying the same user id and fingerprint and a random token id recorded in ``api_tokens``;
  a token revoked by its owner or an admin (``/api/v1/tokens``) stops working.  A disabled user's
  cookie and tokens stop working on the next request.
- Every state-changing request authenticated by the cookie (every form) must carry the session's
  CSRF token, as the form field ``csrf_token`` or the header ``X-CSRF-Token``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import defaultdict, deque

from itsdangerous import BadSignature

from ..cases.signing import Signer

__all__ = ["RateLimiter", "TokenSigner", "csrf_token", "fingerprint"]


def fingerprint(password_hash: str | None) -> str:
    """A short digest of a password hash: sessions and tokens made before a change stop verifying."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def csrf_token(session: dict) -> str:
    """The CSRF token of a session, made on first use."""
    tok = session.get("csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        session["csrf"] = tok
    return tok


class TokenSigner:
    """Signs and checks the API's bearer tokens, by the one signer of :mod:`reunite.cases.signing`
    (purpose ``api-token``: keyed by ``$REUNITE_SECRET_KEY``, retired keys of the key ring accepted)."""

    def __init__(self, signer: Signer | str, max_age: int):
        signer = signer if isinstance(signer, Signer) else Signer(signer)
        self._s = signer.serializer("api-token", timed=True)
        self.max_age = max_age

    def make(self, user_id: int, fp: str) -> tuple[str, str]:
        """A token for the user, and its random id (to record, list and revoke it)."""
        tid = secrets.token_urlsafe(24)
        return self._s.dumps({"uid": user_id, "fp": fp, "tid": tid}), tid

    def read(self, token: str) -> tuple[int, str, str] | None:
        """(user id, fingerprint, token id) of a valid, unexpired token, else None."""
        try:
            data = self._s.loads(token, max_age=self.max_age)
            return int(data["uid"]), str(data["fp"]), str(data["tid"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (a sliding window, in memory)."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._events[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> bool:
        """Whether the key has used up its events in the window."""
        with self._lock:
            return len(self._prune(key, time.monotonic())) >= self.limit

    def hit(self, key: str) -> None:
        """Count one event for the key."""
        with self._lock:
            now = time.monotonic()
            self._prune(key, now).append(now)
            if len(self._events) > 100_000:  # forget idle keys so memory stays bounded
                for k in [k for k, q in self._events.items() if not q or q[-1] <= now - self.window]:
                    del self._events[k]

    def reset(self, key: str) -> None:
        """Forget the key's events (a successful login)."""
        with self._lock:
            self._events.pop(key, None)
