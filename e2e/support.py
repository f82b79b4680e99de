"""Helpers for the browser journeys: accessibility scans and layout checks."""

from __future__ import annotations

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
    """Fail, listing each violation and the elements it found, unless axe finds none on the page."""
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
