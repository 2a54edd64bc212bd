"""Accounts of the web application: argon2 password hashes, disabling, units, sessions, API
tokens and the second admin's approval of staff accounts.

Passwords are hashed with argon2id (:mod:`argon2`, RFC 9106 parameters by default); only the
hash is stored.  A password is refused when it is shorter than :data:`MIN_PASSWORD` or when the
strength estimator :mod:`zxcvbn` scores it below :data:`MIN_SCORE` (it knows common passwords,
sequences, repeats, dictionary words and, given them, the user's own name).

Sessions end at logout: each session cookie carries the user's ``session_epoch``, which
:func:`end_sessions` bumps.  Bearer tokens are recorded by a random id (:class:`ApiToken`), listed
and revoked by their owner or an admin.  A staff account (:data:`STAFF_ROLES`) created by an admin in
the web application waits, unable to log in, until a second admin approves it (:func:`approve_user`);
the CLI on the server console is the operator and registers directly (audited).

:data:`HASHER` can be replaced (e.g. cheaper parameters in tests) with
:func:`use_hasher`.  Password checks take the same time whether or not the user exists.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from ..errors import InputError, Problem
from .audit import append_audit
from .importing import default_user
from .models import ApiToken, User, utcnow
from .records import add_user, get_user

__all__ = ["MIN_PASSWORD", "MIN_SCORE", "STAFF_ROLES", "approve_user", "authenticate", "check_password",
           "disable_user", "end_sessions", "hash_password", "list_tokens", "record_token", "register_user",
           "request_account", "revoke_token", "set_password", "token_is_live", "use_hasher", "verify_password"]

#: The shortest password accepted.
MIN_PASSWORD = 10
#: The lowest zxcvbn score accepted (0 too guessable … 4 very unguessable; 3: safely unguessable).
MIN_SCORE = 3
#: Roles that see cases or genotypes: an admin's request for one needs a second admin's approval.
STAFF_ROLES = frozenset(("investigator", "lab_analyst", "caseworker", "admin"))

HASHER = PasswordHasher()
_DUMMY: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with ``hasher`` from now on (existing hashes still verify)."""
    global HASHER, _DUMMY
    HASHER, _DUMMY = hasher, None


def check_password(password: str, name: str | None = None) -> None:
    """Refuse a trivial password: shorter than :data:`MIN_PASSWORD`, blank, containing the user's name,
    or scored below :data:`MIN_SCORE` by zxcvbn (common passwords, sequences, repeats, words)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InputError(Problem(f"a password needs at least {MIN_PASSWORD} characters", field="password"))
    # the name with a few characters around it (a longer password may contain a short name: "li", "fam")
    stem = (name or "").strip().lower()
    if stem and stem in password.lower() and len(password) - len(stem) < MIN_PASSWORD:
        raise InputError(Problem("a password must not contain the user name", field="password"))
    if not password.strip() or zxcvbn(password[:100], user_inputs=[name] if name else [])["score"] < MIN_SCORE:
        raise InputError(Problem("this password is too easy to guess (a common word, sequence or repeat); "
                                 "use a few unrelated words", field="password"))


def hash_password(password: str, name: str | None = None) -> str:
    """The argon2id hash of ``password`` (refused by :func:`check_password` if trivial)."""
    check_password(password, name)
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the hash ``stored`` (always spends one hash computation)."""
    global _DUMMY
    if not stored:
        if _DUMMY is None:
            _DUMMY = HASHER.hash("not a password of anyone")
        stored = _DUMMY
        password = password + "\0"
    try:
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def set_password(session: Session, name: str, password: str, *, by: str | None = None,
                 commit: bool = True) -> User:
    """Set the password of user ``name``."""
    user = get_user(session, name)
    if user is None:
        raise InputError(Problem(f"no user is called {name!r}", field="name"))
    user.password_hash = hash_password(password, name)
    session.flush()
    append_audit(session, by or default_user(), "user.password", entity="user", entity_id=name)
    if commit:
        session.commit()
    return user


def register_user(session: Session, name: str, role: str, *, unit: str | None = None,
                  password: str | None = None, by: str | None = None, commit: bool = True) -> User:
    """Register user ``name`` with ``role`` (:func:`reunite.cases.records.add_user`), set their unit
    (blank: none) and, with ``password``, their web password (hashed, audited).  A password that is
    refused stops it before anything is written."""
    pw_hash = hash_password(password, name) if password is not None else None
    user = add_user(session, name, role, by=by, commit=False)
    if unit is not None:
        user.unit = unit.strip() or None
    if pw_hash is not None:
        user.password_hash = pw_hash
        append_audit(session, by or default_user(), "user.password", entity="user", entity_id=user.name)
    if commit:
        session.commit()
    return user


def disable_user(session: Session, name: str, *, by: str | None = None, commit: bool = True) -> User:
    """Disable user ``name``: they can no longer log in and their sessions stop working."""
    user = get_user(session, name)
    if user is None:
        raise InputError(Problem(f"no user is called {name!r}", field="name"))
    if not user.disabled:
        user.disabled = True
        session.flush()
        append_audit(session, by or default_user(), "user.disable", entity="user", entity_id=name)
    if commit:
        session.commit()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The enabled user ``name`` if ``password`` is theirs, else None."""
    user = get_user(session, name) if name else None
    ok = verify_password(user.password_hash if user is not None else None, password or "")
    if user is None or not ok or user.disabled or not user.password_hash or user.pending_approval_by:
        return None
    return user


# ------------------------------------------------------------------------------- sessions


def end_sessions(session: Session, user: User, *, commit: bool = True) -> None:
    """End every session cookie of ``user`` (logout): their ``session_epoch`` moves on."""
    user.session_epoch = (user.session_epoch or 0) + 1
    if commit:
        session.commit()


def record_token(session: Session, user: User, token_id: str, max_age: int, *, commit: bool = True) -> ApiToken:
    """Record a bearer token issued to ``user`` (by its random id), valid for ``max_age`` seconds."""
    now = utcnow()
    session.execute(delete(ApiToken).where(ApiToken.expires_at < now))  # expired: nothing left to revoke
    tok = ApiToken(token_id=token_id, user_id=user.id, created_at=now, expires_at=now + dt.timedelta(seconds=max_age))
    session.add(tok)
    session.flush()
    append_audit(session, user.name, "token.issue", entity="user", entity_id=user.name, details={"token": tok.id})
    if commit:
        session.commit()
    return tok


def token_is_live(session: Session, token_id: str, user_id: int) -> bool:
    """Whether the token is recorded for this user, unexpired and not revoked."""
    tok = session.scalars(select(ApiToken).where(ApiToken.token_id == token_id)).first()
    return (tok is not None and tok.user_id == user_id and tok.revoked_at is None
            and tok.expires_at > utcnow())


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """The unexpired tokens of ``user`` (None: of everyone), newest first."""
    q = select(ApiToken).where(ApiToken.expires_at > utcnow()).order_by(ApiToken.id.desc())
    if user is not None:
        q = q.where(ApiToken.user_id == user.id)
    return list(session.scalars(q))


def revoke_token(session: Session, token: int, by: User, *, commit: bool = True) -> ApiToken:
    """Revoke the token numbered ``token``: its owner or an admin only (others: as if it did not exist)."""
    tok = session.get(ApiToken, token)
    if tok is None or (tok.user_id != by.id and by.role != "admin"):
        raise InputError(Problem(f"there is no token {token}", field="token"))
    if tok.revoked_at is None:
        tok.revoked_at, tok.revoked_by = utcnow(), by.name
        session.flush()
        append_audit(session, by.name, "token.revoke", entity="user", entity_id=tok.user.name,
                     details={"token": tok.id})
    if commit:
        session.commit()
    return tok


# -------------------------------------------------------------------------- approval


def request_account(session: Session, name: str, role: str, *, by: User, unit: str | None = None,
                    password: str, commit: bool = True) -> User:
    """An admin creates an account in the web application: a staff role (:data:`STAFF_ROLES`) waits,
    unable to log in, for a second admin's :func:`approve_user`; others are active at once.  Audited."""
    if get_user(session, (name or "").strip()) is not None:
        raise InputError(Problem(f"a user called {name!r} already exists", field="name"))
    user = register_user(session, name, role, unit=unit, password=password, by=by.name, commit=False)
    if role in STAFF_ROLES:
        user.pending_approval_by = by.name
        session.flush()
        append_audit(session, by.name, "user.request", entity="user", entity_id=name, details={"role": role})
    if commit:
        session.commit()
    return user


def approve_user(session: Session, name: str, *, by: User, commit: bool = True) -> User:
    """A second admin approves a pending staff account (not the admin who asked for it).  Audited."""
    user = get_user(session, name)
    if user is None or not user.pending_approval_by:
        raise InputError(Problem(f"no account called {name!r} waits for approval", field="name"))
    if by.role != "admin" or by.name == user.pending_approval_by:
        raise InputError(Problem("another administrator must approve this account", field="name"))
    requested_by, user.pending_approval_by = user.pending_approval_by, None
    session.flush()
    append_audit(session, by.name, "user.approve", entity="user", entity_id=name,
                 details={"role": user.role, "requested_by": requested_by})
    if commit:
        session.commit()
    return user
