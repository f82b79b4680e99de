"""/me: the signed-in user's home on the platform chosen at login."""

from __future__ import annotations

from litestar import Controller


class DashboardController(Controller):
    path = "/me"
