"""Accounts of the web application: argon2 password hashes, disabling, units.

Passwords are hashed with argon2id (:mod:`argon2`, RFC 9106 parameters by default); only the
hash is stored.  :data:`HASHER` can be replaced (e.g. cheaper parameters in tests) with
:func:`use_hasher`.  Password checks take the same time whether or not the user exists.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from ..errors import InputError, Problem
from .audit import append_audit
from .importing import default_user
from .models import User
from .records import add_user, get_user

__all__ = ["MIN_PASSWORD", "authenticate", "disable_user", "hash_password", "register_user", "set_password",
           "use_hasher", "verify_password"]

#: The shortest password accepted.
MIN_PASSWORD = 10

HASHER = PasswordHasher()
_DUMMY: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash and verify with ``hasher`` from now on (existing hashes still verify)."""
    global HASHER, _DUMMY
    HASHER, _DUMMY = hasher, None


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (refused if shorter than :data:`MIN_PASSWORD`)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InputError(Problem(f"a password needs at least {MIN_PASSWORD} characters", field="password"))
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
    user.password_hash = hash_password(password)
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
    pw_hash = hash_password(password) if password is not None else None
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
    if user is None or not ok or user.disabled or not user.password_hash:
        return None
    return user
