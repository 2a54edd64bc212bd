"""Serve the web application with uvicorn (what ``reunite serve`` runs)."""

from __future__ import annotations

import uvicorn

from .app import create_app

__all__ = ["serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, *, media_dir: str | None = None, secure_cookies: bool = True,
          match_after_import: bool = True) -> None:
    """Run the application of :func:`reunite.web.app.create_app` on ``host``:``port`` until stopped."""
    app = create_app(media_dir=media_dir, secure_cookies=secure_cookies, match_after_import=match_after_import)
    uvicorn.run(app, host=host, port=port, proxy_headers=False)
