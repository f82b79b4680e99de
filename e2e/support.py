"""Helpers for the browser journeys: accessibility scans and layout checks."""

from __future__ import annotations

import itertools
import json
import urllib.parse
import urllib.request
from datetime import date
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_axe = Axe()
# WCAG 2.1 A and AA, what GB/T 37668 and the service's accessibility statement promise.
AXE_OPTIONS: dict[str, Any] = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
}


def axe_check(page: Page) -> None:
    """Fail, listing each violation and the elements it found, unless axe finds none on the page.

    Pages without JavaScript are skipped: axe is a script and never returns there; the same markup
    is scanned by the journeys that run with JavaScript.
    """
    if getattr(page, "javascript_disabled", False):
        return
    results = _axe.run(page, options=AXE_OPTIONS)
    if results.violations_count:
        lines = [f"{results.violations_count} axe violation(s) on {page.url}:"]
        for violation in results.response["violations"]:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
        raise AssertionError("\n".join(lines))


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


# --- the test hooks of CONTRACT.md, for journeys that need an SMS code or another date -----------


def latest_sms_code(base_url: str, mobile: str) -> str:
    """The newest SMS code sent to `mobile` (GET /dev/sms/latest), as a QA script reads it."""
    query = urllib.parse.urlencode({"mobile": mobile})
    with urllib.request.urlopen(f"{base_url}/dev/sms/latest?{query}", timeout=5) as response:
        return json.load(response)["code"]


def set_today(base_url: str, day: date | None) -> None:
    """Move the service's clock (POST /dev/clock); None goes back to the real date."""
    body = urllib.parse.urlencode({"today": day.isoformat() if day else ""}).encode()
    request = urllib.request.Request(f"{base_url}/dev/clock", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


_addresses = itertools.count(1)


def visitor_address() -> dict[str, dict[str, str]]:
    """Browser-context options giving each context its own address (IPv6 documentation prefix),
    told to the app by X-Forwarded-For, which uvicorn trusts from 127.0.0.1 as a proxy's.

    Otherwise every journey of the run shares 127.0.0.1, and the per-address limits (sign-in
    attempts, SMS codes) that real visitors never reach run out half-way through the suite.
    """
    return {"extra_http_headers": {"X-Forwarded-For": f"2001:db8:{next(_addresses):x}::1"}}


# --- accounts for journeys: each test makes its own, so runs on two devices never collide --------

PASSWORD = "Journey-2026!"


def new_account(live_server: Any, role: str = "resident", password: str = PASSWORD,
                point: str | None = None, with_person: bool = False) -> tuple[str, str]:
    """Create an account through `python -m web.manage createaccount`; returns (username, mobile).

    Staff need `point`, their acceptance point's code (the street code, e.g. "440304001").

    Its mobile is not verified yet, so its first sign-in asks for an SMS code, like a new account.
    """
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    username = f"e2e{secrets.token_hex(4)}"
    mobile = f"139{secrets.randbelow(10**8):08d}"
    subprocess.run(
        [sys.executable, "-m", "web.manage", "createaccount", "--username", username,
         "--mobile", mobile, "--role", role, *(["--point", point] if point else []),
         *(["--with-person"] if with_person else [])],
        cwd=Path(__file__).resolve().parent.parent, env={**live_server.env, "ACCOUNT_PASSWORD": password},
        check=True, capture_output=True, timeout=60,
    )
    return username, mobile


def sign_in(page: Page, base_url: str, username: str, mobile: str | None, *, password: str = PASSWORD,
            platform: str = "居住证/签注申办", remember: bool = False) -> None:
    """Sign in through /login as a person would; with `mobile`, answer the SMS step from the outbox."""
    page.goto("/login")
    page.get_by_label(platform).check()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    if remember:
        page.get_by_label("记住密码（30天内在此设备免输密码）").check()
    page.get_by_role("button", name="登录").click()
    if mobile is not None:
        page.wait_for_url("**/login/sms")
        page.get_by_label("短信验证码").fill(latest_sms_code(base_url, mobile))
        page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/me")


def run_on_live_db(live_server: Any, code: str, *args: str) -> str:
    """Run a Python snippet against the live server's database (set-up and clean-up of journeys);
    returns what it printed. The snippet gets `init()`, an async context manager opening Tortoise."""
    import subprocess
    import sys
    from pathlib import Path

    prelude = (
        "import asyncio, json, sys\n"
        "from tortoise.context import TortoiseContext\n"
        "from web.db import tortoise_config\n"
        "from web.settings import Settings\n"
        "class init:\n"
        "    async def __aenter__(self):\n"
        "        self.context = TortoiseContext()\n"
        "        await self.context.__aenter__()\n"
        "        await self.context.init(config=tortoise_config(Settings.from_env().database_url))\n"
        "    async def __aexit__(self, *exc):\n"
        "        await self.context.__aexit__(*exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", prelude + code, *args], cwd=Path(__file__).resolve().parent.parent,
                          env=live_server.env, check=True, capture_output=True, text=True, timeout=60)
    return done.stdout


RESET_APPLICATIONS = r"""
from web.models import Account, Draft, Permit, PermitApplication

async def main(username):
    async with init():
        account = await Account.get(username=username)
        await Draft.filter(account_id=account.id).delete()
        for application in await PermitApplication.filter(person_id=account.person_id):
            await Permit.filter(application_id=application.id).delete()
            await application.delete()  # its events and co-residents go with it (CASCADE)

asyncio.run(main(sys.argv[1]))
"""


def reset_applications(live_server: Any, username: str) -> None:
    """Forget the account's permit applications, drafts and the permits they produced, so a journey
    that starts from "no permit yet" can run once per device."""
    run_on_live_db(live_server, RESET_APPLICATIONS, username)


def sign_in_any(page: Page, base_url: str, username: str, mobile: str, *, platform: str = "居住证/签注申办",
                password: str = PASSWORD) -> None:
    """Sign in, answering the SMS step only when the service asks for it (demo accounts are asked
    on their first sign-in of the run, not after)."""
    import re

    page.goto("/login")
    page.get_by_label(platform).check()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/(me|login/sms)$"))
    if page.url.endswith("/login/sms"):
        page.get_by_label("短信验证码").fill(latest_sms_code(base_url, mobile))
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/me")
