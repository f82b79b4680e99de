"""The application factory: wires settings, database, stores, templates and controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.logging import LoggingConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from tortoise import Tortoise

from web import i18n
from web.controllers.account import AccountController
from web.controllers.account_setup import AccountSetupController
from web.controllers.admin import AdminController
from web.controllers.applications import ApplicationsController
from web.controllers.apply import ApplyController
from web.controllers.auth import AuthController
from web.controllers.counter import CounterController
from web.controllers.dashboard import DashboardController
from web.controllers.dev import DevController
from web.controllers.eligibility import EligibilityController
from web.controllers.forgot_password import ForgotPasswordController
from web.controllers.privacy import PrivacyController
from web.controllers.public import PublicController
from web.controllers.register import RegisterController
from web.controllers.registration import RegistrationController
from web.controllers.staff import StaffController
from web.controllers.staff_applications import StaffApplicationsController
from web.db import tortoise_config
from web.errors import render_error
from web.guards import requires_access
from web.security import SecurityHeadersMiddleware
from web.services.clock import Clock
from web.sessions import LazySessionConfig
from web.settings import PROJECT_ROOT, Settings
from web.stores import build_stores
from web.templating import configure_environment

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
# Paths that must not create sessions (STACK.md trap 5).
SESSIONLESS = ["^/static/", "^/healthz"]
# The test hooks take no CSRF token (CONTRACT.md), and exist only outside production.
CSRF_EXEMPT = ["^/dev/"]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Litestar application for one set of settings."""
    settings = settings or Settings.from_env()
    stores = build_stores(settings)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        # The global fallback lets every request see the ORM context (STACK.md trap 1).
        await Tortoise.init(
            config=tortoise_config(settings.database_url), _enable_global_fallback=True
        )
        try:
            yield
        finally:
            await Tortoise.close_connections()
            # Litestar does not close the stores' Redis client; an open client warns at exit.
            clients = {id(s._redis): s._redis for s in stores.values() if isinstance(s, RedisStore)}
            for client in clients.values():
                await client.aclose()

    def configure_templates(engine: JinjaTemplateEngine) -> None:
        configure_environment(engine.engine, settings)

    route_handlers: list = [
        PublicController,
        AuthController,
        RegisterController,
        DashboardController,
        AccountController,
        ForgotPasswordController,
        AccountSetupController,
        PrivacyController,
        RegistrationController,
        StaffController,
        CounterController,
        StaffApplicationsController,
        AdminController,
        ApplicationsController,
        EligibilityController,
        ApplyController,
        create_static_files_router(path="/static", directories=[STATIC_DIR], name="static",
                                   opt={"access": "public", "skip_session": True}),
    ]
    if settings.test_hooks_enabled:
        route_handlers.append(DevController)

    sessions = LazySessionConfig(
        store="sessions",
        key="juzhu_session",
        exclude=SESSIONLESS,
        max_age=settings.session_max_age,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=True,
        exclude=CSRF_EXEMPT,
    )
    app = Litestar(
        route_handlers=route_handlers,
        guards=[requires_access],
        lifespan=[database],
        stores=stores,
        middleware=[sessions.middleware],
        csrf_config=csrf,
        template_config=TemplateConfig(
            directory=TEMPLATE_DIR,
            engine=JinjaTemplateEngine,
            engine_callback=configure_templates,
        ),
        plugins=[HTMXPlugin()],
        openapi_config=None,  # an HTML service: no public API schema to publish
        exception_handlers={Exception: render_error},
        logging_config=LoggingConfig(log_exceptions="never"),  # render_error logs what failed
        debug=settings.debug,
    )
    # Wrapped around the whole handler, not per route, so that the 404 of an unknown path and every
    # other error page also get the security headers and the visitor's language.
    app.asgi_handler = i18n.LocaleMiddleware(
        SecurityHeadersMiddleware(app.asgi_handler, hsts=settings.is_production)
    )
    app.state.settings = settings
    app.state.clock = Clock(None if settings.is_production else stores["clock"])
    return app
