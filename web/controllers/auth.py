"""Signing in and out: /login (password, then SMS when needed), remember-me, /logout."""

from __future__ import annotations

from litestar import Controller


class AuthController(Controller):
    path = "/"
