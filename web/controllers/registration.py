"""The residence registration platform (居住登记): houses, links and declarations."""

from __future__ import annotations

from litestar import Controller


class RegistrationController(Controller):
    path = "/registration"
