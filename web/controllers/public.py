"""Public pages: the start page, the list of acceptance points and the health check."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Response, Template
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from web.services import health, points


class PublicController(Controller):
    path = "/"

    @get("/", name="start", opt={"access": "public"})
    async def show_start(self) -> Template:
        return Template("public/start.html")

    @get("/points", name="points", opt={"access": "public"})
    async def list_points(self) -> Template:
        return Template("public/points.html", context={"districts": await points.points_by_district()})

    @get("/healthz", name="healthz", opt={"access": "public", "skip_session": True}, cache=False)
    async def check_health(self, request: Request) -> Response[dict[str, str]]:
        report = await health.check(request.app.stores.get("sessions"))
        status = HTTP_200_OK if report["status"] == "ok" else HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status_code=status)
