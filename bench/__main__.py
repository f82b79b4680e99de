"""Serve the app on a fresh seeded database and measure each page against its goal.

Run with `make bench`. The load generator runs on the same machine (2 cores), so figures are
comparative: watch them move between commits rather than reading them as capacity.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import re

import httpx

ROOT = Path(__file__).resolve().parent.parent
DURATION_S = float(os.environ.get("BENCH_SECONDS", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))


@dataclass(frozen=True)
class Goal:
    """A page and the latency it must keep at the benchmark's concurrency."""

    path: str
    p95_ms: float
    min_rps: float
    user: str | None = None  # a demo account (CONTRACT.md) signed in on the permit platform


# Each feature adds its pages here. With 16 requests in flight on one worker, a page served at
# 400 req/s spends ~40 ms queued on average; p95 allows for the load generator sharing the two
# cores. Signed-in pages run the guard (session, account, unread badge) before their own queries.
GOALS = [
    Goal("/healthz", p95_ms=150, min_rps=300),
    Goal("/", p95_ms=150, min_rps=250),
    Goal("/?lang=en", p95_ms=150, min_rps=250),
    Goal("/points", p95_ms=250, min_rps=100),
    Goal("/login", p95_ms=150, min_rps=250),
    Goal("/me", p95_ms=250, min_rps=100, user="resident"),  # 我的居住证
    Goal("/permit/eligibility", p95_ms=250, min_rps=100, user="resident"),
    Goal("/me/applications", p95_ms=250, min_rps=100, user="resident"),
    Goal("/apply", p95_ms=300, min_rps=80, user="resident"),
    Goal("/me", p95_ms=300, min_rps=80, user="staff"),  # the desk, with the queue's counts
    Goal("/staff/applications", p95_ms=300, min_rps=80, user="staff"),
]
DEMO_PASSWORD = "Demo-2026!"
DEMO_MOBILES = {"resident": "13800000004", "staff": "13800000002"}
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    """Through the real forms: password, then the SMS code of a first sign-in (read at /dev/sms/latest)."""
    token = CSRF_INPUT.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    form = {"_csrf_token": token, "platform": "permit", "username": username, "password": DEMO_PASSWORD}
    answer = await client.post("/login", data=form)
    if answer.headers.get("location", "").endswith("/login/sms"):
        code = (await client.get("/dev/sms/latest", params={"mobile": DEMO_MOBILES[username]})).json()["code"]
        answer = await client.post("/login/sms", data={"_csrf_token": token, "sms_code": code})
    if not answer.headers.get("location", "").endswith("/me"):
        raise RuntimeError(f"could not sign in as {username}: {answer.status_code}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def measure(base_url: str, goal: Goal) -> tuple[float, float, float, int]:
    """Requests per second, p50 and p95 in ms, and the count of non-200 answers."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + DURATION_S
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        if goal.user:
            await sign_in(client, goal.user)
        for _ in range(20):  # warm up
            await client.get(goal.path)

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await client.get(goal.path)
                latencies.append((time.perf_counter() - start) * 1000)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return len(latencies) / elapsed, statistics.median(latencies), p95, errors


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="juzhu-bench-"))
    env = {
        **os.environ,
        "APP_ENV": "test",
        "VAR_DIR": str(workdir),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite://{workdir / 'bench.sqlite3'}",
    }
    python = sys.executable
    subprocess.run([python, "-m", "web.manage", "migrate"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([python, "-m", "web.manage", "seed"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [python, "-m", "uvicorn", "--factory", "web.app:create_app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base_url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        failed = 0
        print(f"{'page':<32}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}  goal (p95 / req/s)")
        for goal in GOALS:
            rps, p50, p95, errors = asyncio.run(measure(base_url, goal))
            ok = p95 <= goal.p95_ms and rps >= goal.min_rps and errors == 0
            failed += not ok
            label = f"{goal.path} ({goal.user})" if goal.user else goal.path
            print(f"{label:<32}{rps:>8.0f}{p50:>9.1f}{p95:>9.1f}  "
                  f"{goal.p95_ms:g} / {goal.min_rps:g}  {'ok' if ok else 'MISSED'}"
                  + (f" ({errors} errors)" if errors else ""))
        print(f"concurrency {CONCURRENCY}, {DURATION_S:g} s per page, uvicorn 1 worker, "
              f"database {env['DATABASE_URL'].split(':')[0]}")
        return 1 if failed else 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
