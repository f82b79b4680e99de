"""Online registration of a personal account (/register), multi-step."""

from __future__ import annotations

from litestar import Controller


class RegisterController(Controller):
    path = "/register"
