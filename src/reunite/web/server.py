"""Serve the web application with uvicorn (what ``reunite serve`` runs).

The access log names each request by its method and path only: a query string holds what was searched
for (a child's name, a phone number, a place), which must not reach a log (:class:`NoQueryString`).
"""

from __future__ import annotations

import copy
import logging

import uvicorn
import uvicorn.config

from .app import create_app

__all__ = ["NoQueryString", "log_config", "serve"]


class NoQueryString(logging.Filter):
    """Drop the query string from uvicorn's access log records (``?…`` stays, to show there was one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


def log_config() -> dict:
    """uvicorn's logging configuration with :class:`NoQueryString` on the access log's handler."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["no_query_string"] = {"()": NoQueryString}
    config["handlers"]["access"].setdefault("filters", []).append("no_query_string")
    return config


def serve(host: str = "127.0.0.1", port: int = 8000, *, media_dir: str | None = None, secure_cookies: bool = True,
          match_after_import: bool = True) -> None:
    """Run the application of :func:`reunite.web.app.create_app` on ``host``:``port`` until stopped."""
    app = create_app(media_dir=media_dir, secure_cookies=secure_cookies, match_after_import=match_after_import)
    uvicorn.run(app, host=host, port=port, proxy_headers=False, log_config=log_config())
