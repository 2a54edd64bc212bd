"""Who may call what: ONE table of every route, plus the object-level checks.

:data:`RULES` maps ``(method, path)`` of every route of the app to a :class:`Rule`: the roles
allowed (``anonymous`` is the visitor with no login) and, in words, the object-level check the
handler applies.  :func:`authorize` runs before every API and page route: a route missing from
the table is refused (and ``tests/web/test_access.py`` fails), a visitor without login gets 401
(pages: a redirect to the login page), a role not allowed gets 403.  Objects a user may not see
answer 404, as if they did not exist.

Object-level rules (the ``visible_*`` queries below):

- investigators and lab analysts see every found child, report and candidate;
- a caseworker sees the found children whose ``care_location`` is their ``unit``;
- a family account sees only the reports it filed (``missing_reports.family_user_id``), in plain
  words, never a genotype or a likelihood ratio;
- genotypes: lab analysts and investigators only, and every read is written to the audit log;
- the public (and everyone) sees published appeals only;
- an admin manages accounts (list, create, disable, revoke tokens) and sees no cases or genotypes; a staff
  account an admin creates cannot log in until a second admin approves it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from types import SimpleNamespace

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, select, true
from sqlalchemy.orm import Session

from ..cases.accounts import token_is_live
from ..cases.models import ROLES, Appeal, FoundChild, MissingReport, Photo, User
from ..errors import ReuniteError
from .security import csrf_token, fingerprint

__all__ = ["ANONYMOUS", "RULES", "Rule", "WebError", "authorize", "get_db", "rule_for"]

ANONYMOUS = "anonymous"
EVERYONE = frozenset((*ROLES, ANONYMOUS))
LOGGED_IN = frozenset(ROLES)
STAFF = frozenset(("investigator", "lab_analyst", "caseworker"))
GENETIC = frozenset(("investigator", "lab_analyst"))
INVESTIGATOR = frozenset(("investigator",))
FAMILY = frozenset(("family",))
ADMIN = frozenset(("admin",))
IMPORTERS = GENETIC


@dataclass(frozen=True)
class Rule:
    """The roles allowed on a route, and the object-level check its handler makes."""

    roles: frozenset[str]
    check: str = ""


RULES: dict[tuple[str, str], Rule] = {
    # ---- API
    ("POST", "/api/v1/token"): Rule(EVERYONE, "rate-limited: 5 failures a minute per user and address, "
                                              "20 in 10 minutes per address and per user name"),
    ("GET", "/api/v1/me"): Rule(LOGGED_IN),
    ("GET", "/api/v1/tokens"): Rule(LOGGED_IN, "own tokens; an admin: everyone's"),
    ("POST", "/api/v1/tokens/{token_id}/revoke"): Rule(LOGGED_IN, "owner or admin (others: 404); audited"),
    ("GET", "/api/v1/dashboard"): Rule(STAFF, "caseworker: counts of the children in their care only"),
    ("GET", "/api/v1/found-children"): Rule(STAFF, "caseworker: children in their care"),
    ("GET", "/api/v1/found-children/{case_number}"): Rule(STAFF, "caseworker: children in their care"),
    ("POST", "/api/v1/found-children/{case_number}/photos"): Rule(
        frozenset(("investigator", "caseworker")), "caseworker: children in their care"),
    ("GET", "/api/v1/reports"): Rule(GENETIC),
    ("GET", "/api/v1/reports/{report_number}"): Rule(GENETIC),
    ("GET", "/api/v1/candidates"): Rule(GENETIC),
    ("GET", "/api/v1/candidates/{candidate_id}"): Rule(GENETIC),
    ("POST", "/api/v1/candidates/{candidate_id}/review"): Rule(GENETIC, "a reason is required; audited"),
    ("GET", "/api/v1/samples/{sample}"): Rule(GENETIC, "genotype read: audited"),
    ("POST", "/api/v1/imports"): Rule(IMPORTERS, "profiles/families: lab analyst; found/reports: investigator"),
    ("GET", "/api/v1/imports/{job_id}"): Rule(IMPORTERS, "only the user who started it, or an investigator"),
    ("GET", "/api/v1/imports"): Rule(IMPORTERS, "the history: who, when, kind, file name, counts (no values)"),
    ("GET", "/api/v1/imports/templates/{kind}"): Rule(IMPORTERS, "made-up example rows"),
    ("GET", "/api/v1/appeals"): Rule(EVERYONE, "published appeals only"),
    ("GET", "/api/v1/appeals/{appeal_id}"): Rule(EVERYONE, "published appeals only"),
    ("POST", "/api/v1/appeals"): Rule(INVESTIGATOR, "audited"),
    ("POST", "/api/v1/appeals/{appeal_id}/publish"): Rule(INVESTIGATOR, "audited"),
    ("POST", "/api/v1/appeals/{appeal_id}/unpublish"): Rule(INVESTIGATOR, "audited"),
    ("POST", "/api/v1/appeals/{appeal_id}/tips"): Rule(EVERYONE, "published appeals only; rate-limited per address"),
    ("GET", "/api/v1/tips"): Rule(INVESTIGATOR),
    ("GET", "/api/v1/my/reports"): Rule(FAMILY, "own reports only, plain status"),
    ("GET", "/api/v1/my/reports/{report_number}"): Rule(FAMILY, "own reports only, plain status"),
    # ---- pages
    ("GET", "/"): Rule(EVERYONE, "redirects by role"),
    ("GET", "/login"): Rule(EVERYONE),
    ("POST", "/login"): Rule(EVERYONE, "CSRF; rate-limited"),
    ("POST", "/logout"): Rule(EVERYONE, "CSRF; ends every session of the user"),
    ("GET", "/account"): Rule(LOGGED_IN, "own API tokens only"),
    ("POST", "/tokens/{token_id}/revoke"): Rule(LOGGED_IN, "CSRF; owner or admin (others: 404); audited"),
    ("GET", "/register"): Rule(EVERYONE),
    ("POST", "/register"): Rule(EVERYONE, "CSRF; rate-limited per address; creates a family account that "
                                          "cannot log in until the code texted to its phone is typed back"),
    ("GET", "/register/verify"): Rule(EVERYONE, "only the session that registered the account"),
    ("POST", "/register/verify"): Rule(EVERYONE, "CSRF; the session's pending account; 5 wrong codes void it"),
    ("POST", "/register/resend"): Rule(EVERYONE, "CSRF; the session's pending account; 5 codes an hour"),
    ("GET", "/password/reset"): Rule(EVERYONE),
    ("POST", "/password/reset"): Rule(EVERYONE, "CSRF; rate-limited per address; the same answer whether the "
                                                "number is registered or not"),
    ("GET", "/password/reset/verify"): Rule(EVERYONE, "the number asked for in this session"),
    ("POST", "/password/reset/verify"): Rule(EVERYONE, "CSRF; a family account's live reset code; audited; "
                                                       "ends its other sessions"),
    ("GET", "/xunjia"): Rule(EVERYONE, "what 寻家 is; no records"),
    ("GET", "/xunjia/new"): Rule(FAMILY),
    ("POST", "/xunjia/new"): Rule(FAMILY, "CSRF; one self-registered search per account; audited (no text)"),
    ("GET", "/xunjia/me"): Rule(FAMILY, "own self-registered search only"),
    ("POST", "/xunjia/me/consent"): Rule(FAMILY, "CSRF; own self-registered search only; audited"),
    ("POST", "/xunjia/me/withdraw"): Rule(FAMILY, "CSRF; own self-registered search only; confirmed; erases the "
                                                  "profile and the files that may hold it; audited"),
    ("GET", "/dashboard"): Rule(STAFF, "caseworker: children in their care only"),
    ("GET", "/children"): Rule(STAFF, "caseworker: children in their care"),
    ("GET", "/children/{case_number}"): Rule(STAFF, "caseworker: children in their care"),
    ("POST", "/children/{case_number}/photos"): Rule(frozenset(("investigator", "caseworker")),
                                                     "CSRF; caseworker: children in their care"),
    ("POST", "/children/{case_number}/appeal"): Rule(INVESTIGATOR, "CSRF; audited"),
    ("GET", "/reports/{report_number}"): Rule(GENETIC),
    ("GET", "/candidates"): Rule(GENETIC, "filters validated (problems shown, 400)"),
    ("GET", "/suspected-families"): Rule(INVESTIGATOR, "report numbers, flag records, candidates; read audited"),
    ("GET", "/candidates/{candidate_id}"): Rule(GENETIC, "genotype read (kinship report): audited"),
    ("POST", "/candidates/{candidate_id}/review"): Rule(GENETIC, "CSRF; reason required; audited"),
    ("GET", "/files/reports/{filename}"): Rule(GENETIC, "name checked (no paths); genotype read: audited"),
    ("GET", "/candidates/{candidate_id}/case.fam"): Rule(GENETIC, "genotype read: audited (export.fam); the file "
                                                                  "registered for erasure"),
    ("GET", "/candidates/{candidate_id}/pedtools.zip"): Rule(GENETIC, "genotype read: audited (export.pedtools); "
                                                                      "the file registered for erasure"),
    ("GET", "/lab/profiles"): Rule(GENETIC, "sample codes, kits, dates, marker counts; no genotype"),
    ("POST", "/lab/profiles/cmf"): Rule(GENETIC, "CSRF; sample codes in the body; genotype read: audited "
                                                 "(export.cmf); the file registered for erasure"),
    ("GET", "/candidates/{candidate_id}/familias.fam"): Rule(GENETIC, "genotype read: audited (export.fam); the "
                                                                      "file registered for erasure"),
    ("POST", "/lab/profiles/mt"): Rule(GENETIC, "CSRF; mtDNA sequences read: audited (export.mt); the file "
                                                "registered for erasure"),
    ("GET", "/cohorts"): Rule(GENETIC),
    ("GET", "/cohorts/{code}"): Rule(GENETIC, "no genotypes shown: LRs, conclusions, relationships"),
    ("POST", "/cohorts/{code}/solve"): Rule(GENETIC, "CSRF; audited (counts only)"),
    ("GET", "/media/{path:path}"): Rule(EVERYONE, "the photo's owner must be visible to the user, or the "
                                                  "photo chosen by a published appeal"),
    ("GET", "/imports"): Rule(IMPORTERS),
    ("POST", "/imports"): Rule(IMPORTERS, "CSRF; kind by role"),
    ("GET", "/imports/{job_id}"): Rule(IMPORTERS, "only the user who started it, or an investigator"),
    ("POST", "/imports/lineage-method"): Rule(frozenset(("lab_analyst",)),
                                              "CSRF; the Y-STR population method (audited; matching re-runs)"),
    ("GET", "/imports/templates/{kind}.csv"): Rule(IMPORTERS, "made-up example rows"),
    ("GET", "/appeals"): Rule(EVERYONE, "published appeals only"),
    ("GET", "/appeals/{appeal_id}"): Rule(EVERYONE, "published appeals only; with a poster's token: whether the "
                                                     "poster is genuine, superseded, withdrawn or forged"),
    ("GET", "/appeals/{appeal_id}/poster"): Rule(EVERYONE, "published appeals only; the public facts only"),
    ("GET", "/appeals/{appeal_id}/press-kit"): Rule(EVERYONE, "published appeals only; the public facts only"),
    ("POST", "/appeals/{appeal_id}/tips"): Rule(EVERYONE, "CSRF; published only; rate-limited per address"),
    ("POST", "/reports/{report_number}/appeal"): Rule(INVESTIGATOR, "CSRF; audited"),
    ("POST", "/appeals/{appeal_id}/unpublish"): Rule(INVESTIGATOR, "CSRF; audited"),
    ("GET", "/tips"): Rule(INVESTIGATOR),
    ("GET", "/map/appeals"): Rule(EVERYONE, "published appeals only; places at county level or coarser, never "
                                            "the text of the place or an address"),
    ("GET", "/map/network"): Rule(INVESTIGATOR, "network read: audited"),
    ("GET", "/map/flows"): Rule(INVESTIGATOR, "network read: audited"),
    ("GET", "/map/flows.svg"): Rule(INVESTIGATOR, "network read: audited"),
    ("GET", "/family"): Rule(FAMILY, "own reports only"),
    ("GET", "/family/reports/new"): Rule(FAMILY),
    ("POST", "/family/reports"): Rule(FAMILY, "CSRF; photo checked before anything is stored"),
    ("GET", "/family/reports/{report_number}"): Rule(FAMILY, "own reports only"),
    ("POST", "/family/reports/{report_number}/relatives"): Rule(FAMILY, "CSRF; own reports only"),
    ("POST", "/family/reports/{report_number}/other-children"): Rule(FAMILY, "CSRF; own reports only; audited"),
    ("GET", "/family/reports/{report_number}/sample"): Rule(FAMILY, "own reports only; the labs' public details"),
    ("GET", "/family/reports/{report_number}/relatives/{member_id}/withdraw"): Rule(
        FAMILY, "own reports only; says what a withdrawal would delete, deletes nothing"),
    ("POST", "/family/reports/{report_number}/relatives/{member_id}/withdraw"): Rule(
        FAMILY, "CSRF; own reports only; confirmed on the page before; erases the genotype everywhere, marks "
                "candidates; audited"),
    ("GET", "/admin/users"): Rule(ADMIN, "accounts only: no cases, no genotypes"),
    ("POST", "/admin/users"): Rule(ADMIN, "CSRF; audited; a staff account waits for a second admin"),
    ("POST", "/admin/users/{name}/approve"): Rule(ADMIN, "CSRF; not the admin who asked; audited"),
    ("POST", "/admin/users/{name}/disable"): Rule(ADMIN, "CSRF; not oneself; audited"),
    # ---- the trafficking network (web/network_view.py): investigators only, every read audited
    ("GET", "/network"): Rule(INVESTIGATOR, "audited (investigation, count; never a name)"),
    ("GET", "/network/export"): Rule(INVESTIGATOR, "GraphML or a ZIP of CSV files; audited"),
    ("POST", "/network/import"): Rule(INVESTIGATOR, "CSRF; all or nothing, idempotent; audited"),
    ("GET", "/network/cytoscape.min.js"): Rule(INVESTIGATOR, "the vendored graph library (no data)"),
    # ---- alerts (web/alerts_view.py)
    ("GET", "/alerts/subscribe"): Rule(EVERYONE),
    ("POST", "/alerts/subscribe"): Rule(EVERYONE, "CSRF; rate-limited per address; pending until confirmed by the "
                                                  "link sent to the recipient"),
    ("GET", "/alerts/confirm/{token}"): Rule(EVERYONE, "signed token; changes nothing (a page with a button)"),
    ("POST", "/alerts/confirm/{token}"): Rule(EVERYONE, "CSRF; signed, timed token; audited (subscription id)"),
    ("GET", "/alerts/unsubscribe/{token}"): Rule(EVERYONE, "signed token; changes nothing (a page with a button)"),
    ("POST", "/alerts/unsubscribe/{token}"): Rule(EVERYONE, "CSRF; signed token; erases the recipient; audited"),
    ("GET", "/alerts"): Rule(INVESTIGATOR),
    ("POST", "/alerts"): Rule(INVESTIGATOR, "CSRF; public facts only in the text; audited"),
    ("GET", "/alerts/{alert_id}"): Rule(INVESTIGATOR, "delivery log without recipients; read audited"),
    ("POST", "/alerts/{alert_id}/tick"): Rule(INVESTIGATOR, "CSRF"),
    # ---- documentation (FastAPI's own routes)
    ("GET", "/openapi.json"): Rule(EVERYONE),
    ("GET", "/docs"): Rule(EVERYONE),
    ("GET", "/docs/oauth2-redirect"): Rule(EVERYONE),
    ("GET", "/redoc"): Rule(EVERYONE),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (HEAD follows GET)."""
    method = "GET" if method == "HEAD" else method
    return RULES.get((method, path))


class WebError(ReuniteError):
    """An error answered with the one error shape ``{"error": {"code", "message", "problems"}}``."""

    def __init__(self, status: int, code: str, message: str, problems: list[dict] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems = problems or []
        self.headers = headers


def get_db(request: Request):
    """A session on the app's store for one request."""
    with request.app.state.sessionmaker() as s:
        yield s


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/token")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _load_user(request: Request, db: Session, creds: HTTPAuthorizationCredentials | None) -> User | None:
    if creds is not None:
        request.state.auth = "bearer"
        got = request.app.state.tokens.read(creds.credentials)
        if got is None:
            raise WebError(401, "unauthorized", "the bearer token is invalid or has expired; get a new one "
                                                "from POST /api/v1/token", headers={"WWW-Authenticate": "Bearer"})
        uid, fp, tid = got
    else:
        uid, fp = request.session.get("uid"), request.session.get("fp")
        request.state.auth = "cookie" if uid else None
        if not uid:
            return None
    user = db.get(User, uid)
    if (user is None or user.disabled or not user.password_hash or user.pending_approval_by
            or fingerprint(user.password_hash) != fp
            or (creds is None and request.session.get("ep") != (user.session_epoch or 0))
            or (creds is not None and not token_is_live(db, tid, user.id))):
        if creds is not None:
            raise WebError(401, "unauthorized", "the bearer token is no longer valid",
                           headers={"WWW-Authenticate": "Bearer"})
        request.session.clear()
        request.state.auth = None
        return None
    return user


def live_login(db: Session, tokens, session: dict, authorization: str) -> bool:
    """Whether a request carries a login that still works (a bearer token, else the session cookie):
    the same checks as :func:`authorize`, made before a request body is read."""
    if authorization[:7].lower() == "bearer ":
        got = tokens.read(authorization[7:].strip())
        if got is None:
            return False
        uid, fp, tid = got
    else:
        uid, fp, tid = session.get("uid"), session.get("fp"), None
        if not uid:
            return False
    user = db.get(User, uid)
    if (user is None or user.disabled or not user.password_hash or user.pending_approval_by
            or fingerprint(user.password_hash) != fp):
        return False
    return token_is_live(db, tid, user.id) if tid else session.get("ep") == (user.session_epoch or 0)


async def authorize(request: Request, db: Session = Depends(get_db),
                    creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> User | None:
    """Run before every route: who is asking, may their role call this route, and the CSRF check."""
    route = request.scope.get("route")
    rule = rule_for(request.method, getattr(route, "path", ""))
    request.state.user = None
    if rule is None:
        raise WebError(403, "forbidden", "this route has no access rule")
    user = _load_user(request, db, creds)
    request.state.user = user
    # What pages show of the user, readable after the request's session is closed (error pages).
    request.state.viewer = (SimpleNamespace(id=user.id, name=user.name, role=user.role, unit=user.unit,
                                            display_name=user.display_name)
                            if user is not None else None)
    role = user.role if user is not None else ANONYMOUS
    if role not in rule.roles:
        if user is None:
            raise WebError(401, "unauthorized", "log in first", headers={"WWW-Authenticate": "Bearer"})
        raise WebError(403, "forbidden", f"a {role.replace('_', ' ')} may not do this")
    if request.method not in SAFE_METHODS and (not request.url.path.startswith("/api/")
                                               or request.state.auth == "cookie"):
        await _check_csrf(request)
    return user


async def _check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(str(expected), str(given)):
        raise WebError(403, "csrf", "the form has expired or did not come from this site; reload the page "
                                    "and try again")


def current_user(request: Request) -> User | None:
    """The user :func:`authorize` found (None: not logged in)."""
    return getattr(request.state, "user", None)


def form_token(request: Request) -> str:
    """The CSRF token to put in the forms of a page."""
    return csrf_token(request.session)


# ---------------------------------------------------------------------- object-level checks


def visible_children(user: User | None) -> Select:
    """The found children the user may see."""
    q = select(FoundChild)
    if user is None:
        return q.where(~true())
    if user.role in GENETIC:
        return q
    if user.role == "caseworker" and user.unit:
        return q.where(FoundChild.care_location == user.unit)
    return q.where(~true())


def visible_reports(user: User | None) -> Select:
    """The missing-child reports the user may see."""
    q = select(MissingReport)
    if user is None:
        return q.where(~true())
    if user.role in GENETIC:
        return q
    if user.role == "family":
        return q.where(MissingReport.family_user_id == user.id)
    return q.where(~true())


def can_see_child(user: User | None, child: FoundChild | None) -> bool:
    """Whether the user may see this found child."""
    if child is None or user is None:
        return False
    if user.role in GENETIC:
        return True
    return user.role == "caseworker" and bool(user.unit) and child.care_location == user.unit


def can_see_report(user: User | None, report: MissingReport | None) -> bool:
    """Whether the user may see this report."""
    if report is None or user is None:
        return False
    if user.role in GENETIC:
        return True
    return user.role == "family" and report.family_user_id == user.id


def can_see_photo(db: Session, user: User | None, photo: Photo) -> bool:
    """Whether the user may see this photo (its owner is visible, or a published appeal shows it)."""
    if photo.found_child_id is not None:
        if can_see_child(user, photo.found_child):
            return True
        pub = db.scalars(select(Appeal.id).where(Appeal.photo_id == photo.id, Appeal.published.is_(True))).first()
        return pub is not None
    return can_see_report(user, photo.report)
