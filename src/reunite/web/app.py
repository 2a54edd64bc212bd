"""The web application: ``create_app()`` builds it, ``reunite serve`` runs it with uvicorn.

One store for the CLI and the web (``REUNITE_DATABASE_URL``, default ``reunite.db``).  The JSON API
is under ``/api/v1`` (schema at ``/openapi.json``, browsable at ``/docs``); pages are rendered on
the server with Jinja2 (autoescaped).  Every error, API or page, has one shape::

    {"error": {"code": "not_found", "message": "…", "problems": [{"file", "line", "field", "message"}]}}

(pages show the same as HTML; a page that needs a login redirects to ``/login``).  Errors never
carry a stack trace or personal data.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Match

from .. import __version__
from ..cases import db as store
from ..cases.photos import media_dir as default_media
from ..cases.signing import SECRET_ENV, Signer, ring_from_env
from ..errors import InputError, NotFoundError, ReuniteError
from ..genetics.kinship import format_lr
from . import (
    alerts_view,
    api,
    candidates_view,
    family_view,
    imports_view,
    labfiles_view,
    maps_view,
    network_view,
    pages,
    public_view,
)
from .access import ANONYMOUS, WebError, live_login, rule_for
from .cohort_view import LruCache
from .jobs import JobManager
from .nul_guard import NulGuard
from .quiet_errors import QuietErrors
from .responses import error_response
from .security import RateLimiter, TokenSigner

__all__ = ["Settings", "create_app"]

log = logging.getLogger("reunite.web")
TEMPLATES = Path(__file__).with_name("templates")


@dataclass
class Settings:
    """How the app runs (see :func:`create_app`)."""

    database_url: str
    media_dir: Path
    reports_dir: Path
    secret_key: str
    secure_cookies: bool = True
    session_max_age: int = 8 * 3600
    token_max_age: int = 8 * 3600
    login_failures: int = 5
    login_window: float = 60.0
    #: failed logins from one address (any user name), and for one user name (any address)
    login_ip_failures: int = 20
    login_ip_window: float = 600.0
    tip_limit: int = 5
    tip_window: float = 600.0
    register_limit: int = 10
    register_window: float = 3600.0
    #: phones send 5-12 MB photos; they are scaled down to 1600 px when stored (cases.photos.MAX_SIDE)
    max_photo_bytes: int = 15 * 1024 * 1024
    max_csv_bytes: int = 50 * 1024 * 1024
    match_after_import: bool = True


_STATUS_CODES = {400: "invalid", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited"}


NO_SECRET = ("REUNITE_SECRET_KEY is not set: a random key signs the cookies and tokens, so every session "
             "ends when the server restarts and several workers do not share logins, and no poster can be made "
             "(its QR code would stop verifying); set it to a long random value (e.g. `python -c 'import secrets; "
             "print(secrets.token_urlsafe(48))'`)")


def _warn_no_secret() -> None:
    log.warning(NO_SECRET)
    print(f"warning: {NO_SECRET}", file=sys.stderr)


def _lr_text(candidate) -> str:
    """A candidate's DNA LR in forensic notation, from its log10 beyond 10^±300 (``lr`` filter)."""
    return format_lr(candidate.dna_lr, candidate.dna_log10_lr)


#: Pydantic's kinds of error -> the code of their words on the pages (docs/i18n.md) and the context they need.
_VALIDATION_CODES = {"missing": ("required", ()), "string_too_long": ("request_too_long", ("max_length",)),
                     "string_too_short": ("request_too_short", ("min_length",)),
                     "int_parsing": ("not_number", ()), "float_parsing": ("not_number", ()),
                     "greater_than_equal": ("request_at_least", ("ge",)),
                     "less_than_equal": ("request_at_most", ("le",)),
                     "literal_error": ("request_choice", ("expected",)), "bool_parsing": ("filter_bool", ())}


def create_app(database_url: str | None = None, media_dir: str | Path | None = None, *,
               reports_dir: str | Path | None = None, secret_key: str | None = None, secure_cookies: bool = True,
               match_after_import: bool = True, **overrides) -> FastAPI:
    """The Reunite web application on the store at ``database_url`` (see :func:`reunite.cases.database_url`).

    ``media_dir``: where photos are (default ``$REUNITE_MEDIA_DIR`` or ``reunite-media``);
    ``reports_dir``: where kinship reports are written for download (default ``reunite-reports``);
    ``secret_key`` signs cookies, tokens and posters (default ``$REUNITE_SECRET_KEY``, else a random key:
    sessions then end when the server restarts and no poster is made; :mod:`reunite.cases.signing`, with
    the retired keys of ``$REUNITE_KEY_RING``); ``secure_cookies=False`` only for plain-HTTP localhost and
    tests.
    Other :class:`Settings` fields can be given as keywords.
    """
    url = store.database_url(database_url)
    store.check_schema(url)
    key = secret_key or os.environ.get(SECRET_ENV)
    ring = ring_from_env()
    if not key:
        _warn_no_secret()
    signer = Signer(key, ring) if key else Signer.random(ring)
    key = key or secrets.token_urlsafe(48)        # the session cookies' (starlette signs them itself)
    settings = Settings(database_url=url, media_dir=default_media(media_dir),
                        reports_dir=Path(reports_dir or os.environ.get("REUNITE_REPORTS_DIR") or "reunite-reports"),
                        secret_key=key, secure_cookies=secure_cookies, match_after_import=match_after_import,
                        **overrides)

    app = FastAPI(title="Reunite", version=__version__,
                  description="Reunite's JSON API: found children, missing-child reports, candidates, "
                              "reviews, imports and public appeals.  Get a bearer token from `POST /api/v1/token`. "
                              "Every error is `{\"error\": {\"code\", \"message\", \"problems\"}}`.")
    app.state.settings = settings
    app.state.sessionmaker = sessionmaker(store.make_engine(url), expire_on_commit=False)
    app.state.signer = signer        # posters, alert links, API tokens (reunite.cases.signing)
    app.state.tokens = TokenSigner(signer, settings.token_max_age)
    app.state.login_limiter = RateLimiter(settings.login_failures, settings.login_window)
    app.state.login_ip_limiter = RateLimiter(settings.login_ip_failures, settings.login_ip_window)
    app.state.login_name_limiter = RateLimiter(settings.login_ip_failures, settings.login_ip_window)
    app.state.tip_limiter = RateLimiter(settings.tip_limit, settings.tip_window)
    app.state.register_limiter = RateLimiter(settings.register_limit, settings.register_window)
    app.state.jobs = JobManager(app.state.sessionmaker, match=settings.match_after_import)
    app.state.jobs.finish_owed_matching()   # a process killed during a matching left it owed
    app.state.guidance_cache = LruCache(256)   # sampling guidance of the report pages, by its input
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.autoescape = True
    templates.env.filters["lr"] = _lr_text
    templates.env.globals["format_lr"] = format_lr
    app.state.templates = templates

    # Innermost: an unhandled exception is a 500 logged by its type only, never re-raised with its
    # values to the server's log (web/quiet_errors.py).
    app.add_middleware(QuietErrors)
    # NUL in any text value is a 400 naming the field (web/nul_guard.py).
    app.add_middleware(NulGuard, max_body=settings.max_csv_bytes + 1024 * 1024)
    # Inside the session middleware (added first, so it runs after it): it sees the decoded session.
    app.add_middleware(BodyGuard, limit=settings.max_csv_bytes + 1024 * 1024)
    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie="reunite_session",
                       max_age=settings.session_max_age, same_site="lax", https_only=secure_cookies)

    @app.middleware("http")
    async def _headers_and_limits(request: Request, call_next):
        length = request.headers.get("content-length")
        limit = settings.max_csv_bytes + 1024 * 1024
        if length and length.isdigit() and int(length) > limit:
            return error_response(request, WebError(413, "too_large", f"the request is larger than "
                                                                      f"{limit:,} bytes"))
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/docs") and not request.url.path.startswith("/redoc"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "script-src 'self' 'unsafe-inline'; frame-src 'self'; frame-ancestors 'none'")
        return response

    _install_error_handlers(app)
    # The routers' routes are added as they are (each carries the `authorize` dependency), so that
    # app.routes is the flat list of every route that the access test walks.
    app.router.routes.extend(api.router.routes)
    app.router.routes.extend(pages.router.routes)
    app.router.routes.extend(candidates_view.router.routes)
    app.router.routes.extend(imports_view.router.routes)
    app.router.routes.extend(labfiles_view.router.routes)
    app.router.routes.extend(maps_view.router.routes)
    app.router.routes.extend(network_view.router.routes)
    app.router.routes.extend(public_view.router.routes)
    app.router.routes.extend(alerts_view.router.routes)
    app.router.routes.extend(family_view.router.routes)
    return app


# ----------------------------------------------------------------------------- request bodies

_BODY_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
#: The largest body that is not a file upload (a form or JSON): 1 MiB.
MAX_TEXT_BODY = 1024 * 1024


class BodyGuard:
    """Refuse request bodies before they are read: an anonymous body on a route that needs a login
    gets its 401 at once (the route is found and its rule read first), and every body is counted as it
    streams, so a chunked upload without ``Content-Length`` gets a 413 past ``limit`` bytes instead of
    being spooled whole.  Only a file upload (``multipart/form-data``) may reach ``limit``; any other
    body (a form, JSON: a login, a tip) stops at :data:`MAX_TEXT_BODY` (an anonymous login form was read
    up to the upload limit, 51 MiB, before its 413)."""

    def __init__(self, app, limit: int, text_limit: int | None = None):
        self.app, self.limit = app, limit
        self.text_limit = min(limit, MAX_TEXT_BODY if text_limit is None else text_limit)

    def _needs_login(self, scope) -> bool:
        for route in scope["app"].router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                rule = rule_for(scope["method"], getattr(route, "path", ""))
                return rule is not None and ANONYMOUS not in rule.roles
        return False

    @staticmethod
    def _anonymous(scope) -> bool:
        state = scope["app"].state
        auth = Request(scope).headers.get("authorization", "")
        session = scope.get("session", {})
        if not auth and not session.get("uid"):
            return True
        with state.sessionmaker() as db:
            return not live_login(db, state.tokens, session, auth)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            return await self.app(scope, receive, send)
        if self._needs_login(scope) and await run_in_threadpool(self._anonymous, scope):
            request = Request(scope)
            request.state.viewer = None
            response = error_response(request, WebError(401, "unauthorized", "log in first",
                                                        headers={"WWW-Authenticate": "Bearer"}))
            return await response(scope, receive, send)
        kind = Headers(scope=scope).get("content-type", "").split(";", 1)[0].strip().lower()
        limit = self.limit if kind == "multipart/form-data" else self.text_limit
        seen, started = 0, False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise StarletteHTTPException(413, f"the request is larger than {limit:,} bytes")
            return message

        async def watched(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except StarletteHTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            request = Request(scope)
            request.state.viewer = None
            await error_response(request, WebError(413, "too_large", exc.detail))(scope, receive, send)


# --------------------------------------------------------------------------------- errors


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def _web(request: Request, exc: WebError):
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = {404: "there is nothing at this address", 405: "this method is not allowed here"}.get(
            exc.status_code, str(exc.detail) if isinstance(exc.detail, str) else "request refused")
        return error_response(request, WebError(exc.status_code, code, message, headers=exc.headers))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            problem = {"file": None, "line": None, "field": ".".join(loc[1:]) or (loc[0] if loc else None),
                       "message": str(e.get("msg", "invalid value"))}
            code, params = _VALIDATION_CODES.get(e.get("type"), (None, ()))
            ctx = e.get("ctx") or {}
            if code and all(k in ctx for k in params):
                problem.update(code=code, params={k: str(ctx[k]) for k in params})
            problems.append(problem)
        return error_response(request, WebError(422, "invalid", "the request is not valid", problems))

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError):
        return error_response(request, WebError(404, "not_found", exc.problems[0].message))

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError):
        problems = [{**p.as_dict(), "file": None} for p in exc.problems]
        return error_response(request, WebError(400, "invalid", problems[0]["message"] if len(problems) == 1
                                                else f"{len(problems)} problems", problems))

    @app.exception_handler(ReuniteError)
    async def _reunite(request: Request, exc: ReuniteError):
        return error_response(request, WebError(400, "invalid", str(exc)))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return error_response(request, WebError(500, "internal", "an internal error occurred; it has been logged"))
