"""What the app, the API and the pages all answer with: the one error shape and rendered pages.

Here, not in :mod:`reunite.web.app`, so that the pages and the error handlers share them without
the pages importing the app that imports them.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .access import WebError
from .i18n import choose_language, formatters, problem_line, translator
from .security import csrf_token

__all__ = ["error_response", "render", "wants_json"]


def wants_json(request: Request) -> bool:
    """API paths answer JSON errors; pages answer HTML unless the client asks for JSON."""
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, err: WebError) -> Response:
    """The one error shape, as JSON or as an HTML page."""
    body = {"error": {"code": err.code, "message": err.message, "problems": err.problems}}
    if wants_json(request):
        return JSONResponse(body, status_code=err.status, headers=err.headers)
    if err.status == 401:
        nxt = request.url.path
        return RedirectResponse(f"/login?next={nxt}", status_code=303)
    lang = choose_language(request)
    lines = [problem_line(p, lang, html=True) for p in err.problems]
    return render(request, "error.html", {"error": body["error"], "status": err.status, "lines": lines,
                                          "all_said": bool(lines) and all(said for _, said in lines)},
                  status=err.status)


def render(request: Request, name: str, context: dict | None = None, *, status: int = 200) -> HTMLResponse:
    """Render a page with the user, the language, ``t()``, ``date()``/``number()`` and the CSRF token."""
    lang = choose_language(request)
    ctx = {"user": getattr(request.state, "viewer", None), "lang": lang, "t": translator(lang),
           "csrf_token": csrf_token(request.session), "path": request.url.path, **formatters(lang)}
    ctx.update(context or {})
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
