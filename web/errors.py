"""Error pages (400, 403, 404, 405, 429, 500, 503) in the site's layout, in the user's language."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from web.guards import WrongPlatform

log = logging.getLogger("web.errors")
PAGES = {400, 403, 404, 405, 429, 500, 503}


def render_error(request: Request, exc: Exception) -> Response:
    """One template for every error. The page never shows exception text: it may hold internals."""
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        # Signed-out users asking for a private page are sent to sign in.
        return Redirect(path="/login")
    if isinstance(exc, WrongPlatform):
        return Template("errors/platform.html", status_code=exc.status_code,
                        context={"platform": exc.platform, "next": request.url.path})
    status = exc.status_code if isinstance(exc, HTTPException) else HTTP_500_INTERNAL_SERVER_ERROR
    if status >= 500:
        # Expected 4xx answers are not logged as failures; everything else keeps its traceback.
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    if status == 401:
        status = 403
    page = status if status in PAGES else (500 if status >= 500 else 400)
    return Template(
        "errors/error.html",
        context={"status": page},
        status_code=status,
        headers=getattr(exc, "headers", None) or {},
    )
