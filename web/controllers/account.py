"""个人信息: personal information, password, mobile, forgotten password, system messages, sign-ins."""

from __future__ import annotations

from litestar import Controller


class AccountController(Controller):
    path = "/"
