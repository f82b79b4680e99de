"""The acceptance-point back office (受理点): review queues and actions of the point's staff."""

from __future__ import annotations

from litestar import Controller


class StaffController(Controller):
    path = "/staff"
