"""Signing in and out: /login (password, then SMS when needed), remember-me, /logout."""

from __future__ import annotations

import time
import unicodedata
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import ValidationException
from litestar.response import Redirect, Response, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from web.controllers.sms_widget import SmsState, client_ip, code_error, send_sms
from web.i18n import gettext as _
from web.models import Account
from web.services import auth, ratelimit, rules, sms
from web.services.clock import SHENZHEN
from web.services.identity import mask_mobile
from web.sessions import PLATFORMS, end_session, start_signed_in_session

DEVICE_COOKIE = "juzhu_device"  # 记住密码: the device token (never a password)
USERNAME_COOKIE = "juzhu_user"  # the remembered username, to fill in the form
PENDING_LOGIN_SECONDS = 600  # between a right password and its SMS code


def _remember_cookies(request: Request, username: str | None, token: str | None) -> list[Cookie]:
    """Set both remember-me cookies, or expire them when `token` is None."""
    secure = request.app.state.settings.secure_cookies
    max_age = rules.DEVICE_TOKEN_DAYS * 86400 if token else 0
    return [
        Cookie(key=DEVICE_COOKIE, value=token or "", max_age=max_age, path="/login",
               httponly=True, secure=secure, samesite="lax"),
        Cookie(key=USERNAME_COOKIE, value=username or "", max_age=max_age, path="/login",
               httponly=True, secure=secure, samesite="lax"),
    ]


def _hh_mm(moment: datetime) -> str:
    return moment.astimezone(SHENZHEN).strftime("%H:%M")


def _notice_text(notice: dict[str, str] | None) -> str | None:
    """Why the last session ended (web/guards.py, logout, password reset), for the login page."""
    if not notice:
        return None
    kind = notice.get("kind")
    if kind == "elsewhere":
        at = notice.get("at")
        time_text = _hh_mm(datetime.fromisoformat(at)) if at else "--:--"
        return _("Your account signed in on another device at %(time)s, so you were signed out here.") % {
            "time": time_text
        }
    return {
        "idle": _("You were signed out because you did nothing for 30 minutes. Sign in again to continue."),
        "expired": _("You were signed out because you had been signed in for 12 hours. Sign in again."),
        "ended": _("Your session has ended. Sign in again."),
        "signed_out": _("You have signed out."),
        "password_reset": _("Your password has been reset. Sign in with your new password."),
    }.get(kind or "")


class AuthController(Controller):
    path = "/"

    # --- Step 1: platform, username, password ---------------------------------------------------

    @get("/login", name="login", opt={"access": "public"})
    async def show_login(self, request: Request) -> Template | Redirect:
        if request.state.account is not None:
            return Redirect(path="/me")
        notice = request.session.pop("notice", None) if request.session else None
        username = request.cookies.get(USERNAME_COOKIE, "")
        return await self._login_page(
            request,
            form={"platform": "permit", "username": username, "remember": "1" if username else ""},
            notice=_notice_text(notice),
        )

    @post("/login", name="login_submit", opt={"access": "public"})
    async def submit_login(self, request: Request) -> Template | Redirect:
        form = await request.form()
        values = {
            "platform": form.get("platform", ""),
            "username": form.get("username", "").strip()[:64],
            "remember": "1" if form.get("remember") else "",
        }
        password = form.get("password", "")[:256]
        device_token = request.cookies.get(DEVICE_COOKIE, "")
        errors: dict[str, str] = {}
        if values["platform"] not in PLATFORMS:
            errors["platform"] = _("Choose the platform you want to use.")
        if not values["username"]:
            errors["username"] = _("Enter your username.")
        if not password and not device_token:
            errors["password"] = _("Enter your password.")
        if errors:
            return await self._login_page(request, values, errors=errors, status_code=400)

        now = datetime.now(UTC)
        # Before any password is hashed: argon2id is deliberately slow (STACK.md).
        retry_at = await ratelimit.hit(
            request.app.stores.get("ratelimit"), f"login:{client_ip(request)}",
            limit=rules.LOGIN_ATTEMPTS_PER_IP, window_seconds=rules.LOGIN_ATTEMPTS_WINDOW_SECONDS, now=now,
        )
        if retry_at is not None:
            message = _("Too many sign-in attempts from your network. Try again after %(time)s.") % {
                "time": _hh_mm(retry_at)
            }
            return await self._login_page(request, values, errors={"username": message}, status_code=429)

        new_device_token: str | None = None
        try:
            if password:
                account = await auth.check_password(
                    values["username"], password, now=now, ip=client_ip(request),
                    user_agent=request.headers.get("user-agent", ""),
                )
            else:
                device = await auth.login_with_device_token(values["username"], device_token, now=now)
                account, new_device_token = device.account, device.new_token
        except auth.LoginRefused as refused:
            return await self._login_page(request, values, errors=self._refusal(refused), status_code=400)

        if auth.needs_sms_check(account):
            request.session["pending_login"] = {
                "account_id": account.id, "platform": values["platform"],
                "remember": bool(values["remember"]), "until": time.time() + PENDING_LOGIN_SECONDS,
            }
            request.session["pending_sms"] = _sms_state_dict(
                await send_sms(request, mobile=account.mobile, purpose="login")
            )
            return Redirect(path="/login/sms", status_code=HTTP_303_SEE_OTHER)
        return await self._finish(
            request, account, platform=values["platform"], remember=bool(values["remember"]),
            sms_verified=False, device_token=new_device_token,
        )

    # --- Step 2: the SMS code, on the first login and after the mobile changed -------------------

    @get("/login/sms", name="login_sms", opt={"access": "public"})
    async def show_sms_step(self, request: Request) -> Template | Redirect:
        account = await self._pending_account(request)
        if account is None:
            return Redirect(path="/login")
        state = SmsState(**request.session.pop("pending_sms", {}) or {})
        if not state.masked_mobile and not state.refused:
            state = SmsState(masked_mobile=_masked(account))
        return self._sms_page(request, account, state)

    @post("/login/sms/send", name="login_sms_send", opt={"access": "public"})
    async def resend_sms(self, request: Request) -> Template | Redirect:
        account = await self._pending_account(request)
        if account is None:
            return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
        state = await send_sms(request, mobile=account.mobile, purpose="login")
        form = await request.form()
        values = {"sms_code": form.get("sms_code", "")[:8]}
        if request.htmx:
            return Template("sms_code_fragment.html",
                            context={"send_url": "/login/sms/send", "sms": state, "form": values, "errors": {}})
        return self._sms_page(request, account, state, form=values)

    @post("/login/sms", name="login_sms_submit", opt={"access": "public"})
    async def submit_sms_step(self, request: Request) -> Template | Redirect:
        account = await self._pending_account(request)
        if account is None:
            return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)
        form = await request.form()
        # Chinese keyboards type full-width digits: "１２３４５６" is the code 123456.
        code = unicodedata.normalize("NFKC", form.get("sms_code", "")).strip()[:8]
        error = None
        if not (len(code) == 6 and code.isdigit()):
            error = code_error("format")
        else:
            try:
                await sms.verify_code(mobile=account.mobile, purpose="login", code=code,
                                      now=datetime.now(UTC), secret=request.app.state.settings.secret_key)
            except sms.CodeRejected as rejected:
                error = code_error(rejected.reason)
        if error:
            return self._sms_page(request, account, SmsState(masked_mobile=_masked(account)),
                                  form={"sms_code": code}, errors={"sms_code": error}, status_code=400)
        pending = request.session.pop("pending_login")
        return await self._finish(request, account, platform=pending["platform"],
                                  remember=pending["remember"], sms_verified=True)

    # --- Signing out, and forgetting this device -----------------------------------------------

    @post("/logout", name="logout", opt={"access": "public"})
    async def logout(self, request: Request) -> Redirect:
        account = request.state.account
        if account is not None:
            await auth.end_sessions(account)
        end_session(request, {"kind": "signed_out"})
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER)

    @post("/platform", name="switch_platform", opt={"access": "resident"})
    async def switch_platform(self, request: Request) -> Redirect:
        """Enter the other platform (DOMAIN §1) without signing in again, then go where asked."""
        form = await request.form()
        platform, target = form.get("platform", ""), form.get("next", "")
        if platform not in PLATFORMS:
            raise ValidationException()
        request.session["platform"] = platform
        # Only a path of this site: an absolute or protocol-relative address would be an open redirect.
        safe = isinstance(target, str) and target.startswith("/") and not target.startswith("//") and "\\" not in target
        return Redirect(path=target if safe else "/me", status_code=HTTP_303_SEE_OTHER)

    @post("/login/forget-device", name="forget_device", opt={"access": "public"})
    async def forget_this_device(self, request: Request) -> Redirect:
        token = request.cookies.get(DEVICE_COOKIE)
        if token:
            await auth.forget_device(token, now=datetime.now(UTC))
        return Redirect(path="/login", status_code=HTTP_303_SEE_OTHER,
                        cookies=_remember_cookies(request, None, None))

    @post("/session/extend", name="session_extend", opt={"access": "signed_in"})
    async def extend_session(self, request: Request) -> Response[None] | Redirect:
        """保持登录: the guard has already counted this request as activity."""
        if request.htmx:
            return Response(None, status_code=204)
        return Redirect(path="/me", status_code=HTTP_303_SEE_OTHER)

    # --- Helpers --------------------------------------------------------------------------------

    async def _finish(
        self, request: Request, account: Account, *, platform: str, remember: bool,
        sms_verified: bool, device_token: str | None = None,
    ) -> Redirect:
        now = datetime.now(UTC)
        login_id = await auth.complete_login(
            account, now=now, ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""), sms_verified=sms_verified,
        )
        # A new session id at sign-in: the anonymous one may have been planted (STACK.md trap 6).
        start_signed_in_session(request, account_id=account.id, login_id=login_id,
                                platform=platform, now=time.time())
        if remember:
            token = device_token or await auth.issue_device_token(account, now=now)
            cookies = _remember_cookies(request, account.username, token)
        else:
            old = request.cookies.get(DEVICE_COOKIE)
            if old:
                await auth.forget_device(old, now=now)
            cookies = _remember_cookies(request, None, None)
        return Redirect(path="/me", status_code=HTTP_303_SEE_OTHER, cookies=cookies)

    async def _pending_account(self, request: Request) -> Account | None:
        pending = request.session.get("pending_login") if request.session else None
        if not pending or pending.get("until", 0) < time.time():
            return None
        return await Account.get_or_none(id=pending["account_id"], is_active=True)

    def _refusal(self, refused: auth.LoginRefused) -> dict[str, str]:
        if refused.reason == "locked" and refused.until:
            return {"password": _(
                "Your account is locked after 5 wrong passwords. Try again after %(time)s, or reset your password."
            ) % {"time": _hh_mm(refused.until)}}
        if refused.reason == "inactive":
            return {"username": _("This account has been disabled. Contact an acceptance point.")}
        # One answer for an unknown username and a wrong password (DOMAIN §2).
        return {"password": _("The username or password is not right.")}

    async def _login_page(
        self, request: Request, form: dict[str, str], *, errors: dict[str, str] | None = None,
        notice: str | None = None, status_code: int = 200,
    ) -> Template:
        remembered = request.cookies.get(USERNAME_COOKIE, "")
        token = request.cookies.get(DEVICE_COOKIE, "")
        # Promise a password-free sign-in only while the token still works (not revoked by a
        # password change, "sign out everywhere" or expiry); otherwise drop the stale cookies.
        device_ready = remembered == form.get("username") and await auth.device_remembered(
            remembered, token, now=datetime.now(UTC)
        )
        cookies = [] if device_ready or not token else _remember_cookies(request, None, None)
        return Template(
            "auth/login.html",
            context={"form": form, "errors": errors or {}, "notice": notice,
                     "device_ready": device_ready, "remembered": remembered},
            status_code=status_code,
            cookies=cookies,
        )

    def _sms_page(
        self, request: Request, account: Account, state: SmsState, *, form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None, status_code: int = 200,
    ) -> Template:
        return Template(
            "auth/login_sms.html",
            context={"form": form or {"sms_code": ""}, "errors": errors or {}, "sms": state,
                     "send_url": "/login/sms/send", "masked_mobile": _masked(account)},
            status_code=status_code,
        )


def _masked(account: Account) -> str:
    return mask_mobile(account.mobile)


def _sms_state_dict(state: SmsState) -> dict[str, Any]:
    """The widget state kept in the session across the redirect to /login/sms."""
    return {"masked_mobile": state.masked_mobile, "resend_in": state.resend_in, "refused": state.refused}
