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

Families register with a mobile number (:func:`register_family`): a Chinese mobile number, 11 digits
starting with 13 to 19 (:func:`normalise_phone`; ``+86`` and spaces or dashes are accepted and
dropped).  The account cannot log in until the six-digit code sent to the phone (:func:`issue_code`,
sent by the caller through :mod:`reunite.notify`) is typed back (:func:`verify_phone`); a forgotten
password is reset the same way (:func:`reset_password`).  A code is stored only as its HMAC-SHA256
(:func:`code_key`: ``$REUNITE_SECRET_KEY``, else the audit key, both kept outside the database, so
a copy of the database does not give the codes away: a plain hash of six digits is reversed by trying
the million codes), expires
after :data:`CODE_MINUTES` minutes, allows :data:`CODE_ATTEMPTS` wrong tries and is used once; at most
:data:`CODES_PER_HOUR` are sent to an account in an hour.  A family logs in with the phone number or
the user name; the user name (what the audit log records) stays ASCII, generated when the family does
not choose one, and the name shown is ``display_name``, in any script (陈秀英).  Neither the phone number
nor the display name goes into the audit log.

Registration does not tell whether a number is registered: a number whose account is verified gets
no account and no code, but a notice through the same channel (:func:`send_taken_notice`), and the
person registering sees the same "a code was sent" page either way.

:data:`HASHER` can be replaced (e.g. cheaper parameters in tests) with
:func:`use_hasher`.  Password checks take the same time whether or not the user exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from ..errors import InputError, Problem
from ..notify import Channel, Message
from .audit import append_audit, audit_key
from .importing import default_user
from .models import ApiToken, PhoneCode, User, utcnow
from .records import add_user, get_user

__all__ = [
    "CODES_PER_HOUR",
    "CODE_ATTEMPTS",
    "CODE_MINUTES",
    "MIN_PASSWORD",
    "MIN_SCORE",
    "NAME_IS_NUMBER",
    "STAFF_ROLES",
    "USER_NAME",
    "approve_user",
    "authenticate",
    "check_code",
    "check_password",
    "disable_user",
    "end_sessions",
    "find_by_phone",
    "hash_password",
    "issue_code",
    "list_tokens",
    "normalise_phone",
    "record_token",
    "register_family",
    "register_user",
    "request_account",
    "reset_password",
    "revoke_token",
    "send_code",
    "send_taken_notice",
    "set_password",
    "token_is_live",
    "use_hasher",
    "verify_password",
    "verify_phone",
]

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
        raise InputError(Problem(f"a password needs at least {MIN_PASSWORD} characters", field="password",
                                 code="password_short", params={"n": MIN_PASSWORD}))
    # the name with a few characters around it (a longer password may contain a short name: "li", "fam")
    stem = (name or "").strip().lower()
    if stem and stem in password.lower() and len(password) - len(stem) < MIN_PASSWORD:
        raise InputError(Problem("a password must not contain the user name", field="password", code="password_name"))
    if not password.strip() or zxcvbn(password[:100], user_inputs=[name] if name else [])["score"] < MIN_SCORE:
        raise InputError(Problem("this password is too easy to guess (a common word, sequence or repeat); "
                                 "use a few unrelated words", field="password", code="password_weak"))


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
    if _NUMBER_IN_NAME.search(name or ""):
        raise InputError(Problem(NAME_IS_NUMBER, field="name"))
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
    """The enabled user ``name`` (a user name, or a family's mobile number) if ``password`` is theirs,
    else None.  An account whose phone is not verified yet cannot log in."""
    user = get_user(session, name) if name else None
    if user is None and name:
        user = find_by_phone(session, name)
    ok = verify_password(user.password_hash if user is not None else None, password or "")
    if user is None or not ok or user.disabled or not user.password_hash or user.pending_approval_by:
        return None
    if user.phone and user.phone_verified_at is None:
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
        raise InputError(Problem(f"a user called {name!r} already exists", field="name", code="user_exists"))
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
        raise InputError(Problem(f"no account called {name!r} waits for approval", field="name",
                                 code="nothing_to_approve"))
    if by.role != "admin" or by.name == user.pending_approval_by:
        raise InputError(Problem("another administrator must approve this account", field="name", code="approve_own"))
    requested_by, user.pending_approval_by = user.pending_approval_by, None
    session.flush()
    append_audit(session, by.name, "user.approve", entity="user", entity_id=name,
                 details={"role": user.role, "requested_by": requested_by})
    if commit:
        session.commit()
    return user


# --------------------------------------------------------------------- families' phones

#: A user name: 3 to 60 ASCII letters, digits, dots, dashes or underscores.
USER_NAME = re.compile(r"^[A-Za-z0-9._\-]{3,60}$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Six digits or more in a row, whatever separates them: a phone, an ID card or a bank number.
_NUMBER_IN_NAME = re.compile(r"\d(?:[\s.\-_]?\d){5,}")
#: Minutes a verification code stays valid.
CODE_MINUTES = 10
#: Wrong tries a code allows; then a new code must be asked for.
CODE_ATTEMPTS = 5
#: Codes sent to one account in an hour, at most.
CODES_PER_HOUR = 5
#: The longest display name.
MAX_DISPLAY_NAME = 50

# The problems below are the domain's words; the web application translates them by these messages.
BAD_PHONE = "a mobile number has 11 digits and starts with 13 to 19 (e.g. 138 0013 8000)"
PHONE_TAKEN = "this mobile number is already registered: log in, or reset the password"
NAME_TAKEN = "this user name is taken; choose another"
BAD_NAME = "a user name has 3 to 60 letters, digits, dots, dashes or underscores"
NAME_IS_NUMBER = ("a user name must not hold a phone or ID number (six digits or more in a row): it is written "
                  "in the audit log; choose a word")
BAD_DISPLAY_NAME = f"a name has at most {MAX_DISPLAY_NAME} characters, without control characters"
PASSWORDS_DIFFER = "the two passwords are not the same"
TOO_MANY_CODES = f"at most {CODES_PER_HOUR} codes are sent to a phone in an hour; wait and try again"
#: What :func:`check_code` answers.
CODE_OK, CODE_WRONG, CODE_EXPIRED, CODE_LOCKED = "ok", "wrong", "expired", "locked"


def normalise_phone(text: str | None) -> str:
    """A Chinese mobile number as 11 digits (``+86``/``0086``, spaces, dashes and dots dropped), or
    :class:`InputError` on field ``phone`` (the value is never repeated)."""
    digits = re.sub(r"[\s\-.()]", "", text or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _MOBILE.match(digits):
        raise InputError(Problem(BAD_PHONE, field="phone"))
    return digits


def find_by_phone(session: Session, phone: str) -> User | None:
    """The account registered with mobile number ``phone`` (any accepted spelling), or None."""
    try:
        number = normalise_phone(phone)
    except InputError:
        return None
    return session.scalars(select(User).where(User.phone == number)).first()


def _display_name(text: str | None) -> str | None:
    name = (text or "").strip()
    if len(name) > MAX_DISPLAY_NAME or any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name):
        raise InputError(Problem(BAD_DISPLAY_NAME, field="display_name"))
    return name or None


def _new_user_name(session: Session) -> str:
    while True:
        name = f"family-{secrets.token_hex(4)}"
        if get_user(session, name) is None:
            return name


def register_family(session: Session, phone: str, password: str, *, display_name: str | None = None,
                    name: str | None = None, password2: str | None = None, commit: bool = True) -> User:
    """Register a family account with its mobile number (not able to log in until :func:`verify_phone`).

    ``name`` is an optional ASCII user name (generated when blank); ``display_name`` a name in any
    script; ``password2``, when given, must repeat ``password``.  Every problem (phone, user name,
    display name, password, repetition) is reported together.  A number
    registered before but never verified is taken over by the new registration (its owner never typed
    the code back); a verified one is refused."""
    problems: list[Problem] = []
    number = user = None
    try:
        number = normalise_phone(phone)
    except InputError as exc:
        problems += exc.problems
    else:
        user = session.scalars(select(User).where(User.phone == number)).first()
        if user is not None and (user.phone_verified_at is not None or user.role != "family"):
            problems.append(Problem(PHONE_TAKEN, field="phone"))
            user = None   # the other checks answer as for a new number (nothing said about that account)
    name = (name or "").strip()
    if name and not USER_NAME.match(name):
        problems.append(Problem(BAD_NAME, field="name"))
    elif name and _NUMBER_IN_NAME.search(name):
        problems.append(Problem(NAME_IS_NUMBER, field="name"))
    elif name and get_user(session, name) is not None and (user is None or user.name != name):
        problems.append(Problem(NAME_TAKEN, field="name"))
    try:
        shown = _display_name(display_name)
    except InputError as exc:
        problems += exc.problems
    try:
        check_password(password, name or None)
        if number and number in (password or "").replace(" ", ""):
            raise InputError(Problem("a password must not contain the phone number", field="password"))
    except InputError as exc:
        problems += exc.problems
    else:
        if password2 is not None and password2 != password:
            problems.append(Problem(PASSWORDS_DIFFER, field="password2"))
    if problems:
        raise InputError(problems)
    if user is None:
        user = User(name=name or _new_user_name(session), role="family", phone=number)
        session.add(user)
    elif name:
        user.name = name
    user.display_name, user.password_hash = shown, HASHER.hash(password)
    session.flush()
    append_audit(session, user.name, "user.register", entity="user", entity_id=user.name,
                 details={"role": "family", "with_phone": True})
    if commit:
        session.commit()
    return user


def code_key(session: Session) -> bytes:
    """The key of the codes' HMAC: ``$REUNITE_SECRET_KEY`` when set (the web application's key), else
    the audit key (:func:`reunite.cases.audit.audit_key`, a file beside the store or in the state
    folder); never a value stored in the database."""
    secret = os.environ.get("REUNITE_SECRET_KEY", "").strip()
    if secret:
        return hashlib.sha256(b"reunite-phone-code|" + secret.encode("utf-8")).digest()
    return hashlib.sha256(b"reunite-phone-code|" + audit_key(session)).digest()


def _code_hash(key: bytes, user_id: int, purpose: str, code: str) -> str:
    return hmac.new(key, f"{user_id}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def issue_code(session: Session, user: User, purpose: str, *, commit: bool = True) -> str:
    """A new six-digit code for ``user``'s phone (``register`` or ``reset``); earlier unused codes of the
    same purpose stop working.  Returns the code for the caller to send (:mod:`reunite.notify`); only
    its hash is stored.  More than :data:`CODES_PER_HOUR` in an hour: :class:`InputError`."""
    now = utcnow()
    recent = session.scalars(select(PhoneCode).where(PhoneCode.user_id == user.id,
                                                     PhoneCode.created_at > now - dt.timedelta(hours=1))).all()
    if len(recent) >= CODES_PER_HOUR:
        raise InputError(Problem(TOO_MANY_CODES, field="code"))
    for old in recent:
        if old.purpose == purpose and old.used_at is None:
            old.used_at = now
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(PhoneCode(user_id=user.id, purpose=purpose,
                          code_hash=_code_hash(code_key(session), user.id, purpose, code), created_at=now,
                          expires_at=now + dt.timedelta(minutes=CODE_MINUTES)))
    session.flush()
    append_audit(session, user.name, "user.code_sent", entity="user", entity_id=user.name, details={"purpose": purpose})
    if commit:
        session.commit()
    return code


def send_code(session: Session, user: User, purpose: str, sms: Channel) -> bool:
    """Issue a code for ``user``'s phone (:func:`issue_code`) and send it by text message through ``sms``
    (a :mod:`reunite.notify` channel of kind ``sms``), in Chinese then English; whether it went out (a
    failure leaves a code nobody received, which simply expires)."""
    code = issue_code(session, user, purpose)
    what_zh, what_en = ("注册", "registration") if purpose == "register" else ("重设密码", "password reset")
    message = Message(subject="团圆 Reunite",
                      body_zh=f"【团圆】您的{what_zh}验证码是 {code}，{CODE_MINUTES}分钟内有效。请勿告诉任何人。",
                      body_en=f"Reunite {what_en} code: {code}. Valid for {CODE_MINUTES} minutes. Do not share it.")
    return sms.send(f"+86{user.phone}", message).ok


def send_taken_notice(session: Session, phone: str, sms: Channel) -> bool:
    """Tell the owner of a registered number that someone tried to register with it (no code: the
    account exists); whether the notice went out.  Nothing else happens, so that registering an unknown
    number and a known one look the same to whoever is registering.  Audited without the number."""
    user = find_by_phone(session, phone)
    if user is None:
        return False
    append_audit(session, user.name, "user.register_refused", entity="user", entity_id=user.name,
                 details={"reason": "number already registered"})
    session.commit()
    message = Message(subject="团圆 Reunite",
                      body_zh="【团圆】有人用您的手机号申请注册团圆账号。您已经注册过：请直接登录，忘记密码可以重设。"
                              "如果不是您本人操作，请忽略本短信。",
                      body_en="Reunite: someone asked to register an account with your number, which already has "
                              "one. Log in, or reset your password if you forgot it. If it was not you, ignore this.")
    return sms.send(f"+86{user.phone}", message).ok


def check_code(session: Session, user: User, purpose: str, code: str, *, commit: bool = True) -> str:
    """Whether ``code`` is the live code of ``user`` for ``purpose``: :data:`CODE_OK` (it is now used),
    :data:`CODE_WRONG` (one attempt counted), :data:`CODE_EXPIRED` (none live: ask for a new one) or
    :data:`CODE_LOCKED` (too many wrong attempts: ask for a new one)."""
    now = utcnow()
    live = session.scalars(select(PhoneCode).where(PhoneCode.user_id == user.id, PhoneCode.purpose == purpose,
                                                   PhoneCode.used_at.is_(None), PhoneCode.expires_at > now)
                           .order_by(PhoneCode.id.desc())).first()
    if live is None:
        return CODE_EXPIRED
    if live.attempts >= CODE_ATTEMPTS:
        return CODE_LOCKED
    typed = re.sub(r"\s", "", code or "")
    if hmac.compare_digest(live.code_hash, _code_hash(code_key(session), user.id, purpose, typed)):
        live.used_at, answer = now, CODE_OK
    else:
        live.attempts += 1
        answer = CODE_WRONG if live.attempts < CODE_ATTEMPTS else CODE_LOCKED
    session.flush()
    if commit:
        session.commit()
    return answer


def verify_phone(session: Session, user: User, code: str, *, commit: bool = True) -> str:
    """Check the registration code of ``user`` (:func:`check_code`); when right, the phone is verified
    and the account can log in.  Audited."""
    answer = check_code(session, user, "register", code, commit=False)
    if answer == CODE_OK:
        user.phone_verified_at = utcnow()
        session.flush()
        append_audit(session, user.name, "user.phone_verified", entity="user", entity_id=user.name)
    if commit:
        session.commit()
    return answer


def reset_password(session: Session, user: User, code: str, password: str, *, commit: bool = True) -> str:
    """Set a new password for ``user`` if ``code`` is their live reset code (:func:`check_code`); every
    session of the account ends.  A password refused by :func:`check_password` raises
    :class:`InputError` before the code is checked.  Audited."""
    check_password(password, user.name)
    answer = check_code(session, user, "reset", code, commit=False)
    if answer == CODE_OK:
        user.password_hash = HASHER.hash(password)
        if user.phone_verified_at is None:
            user.phone_verified_at = utcnow()   # the code reached the phone
        end_sessions(session, user, commit=False)
        session.flush()
        append_audit(session, user.name, "user.password_reset", entity="user", entity_id=user.name)
    if commit:
        session.commit()
    return answer
