"""Command line: `python -m web.manage migrate | seed | createadmin | createaccount`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from tortoise.context import TortoiseContext

from web.db import migrate, tortoise_config
from web.services.clock import Clock
from web.models import Role
from web.services.seed import create_account, create_admin, seed
from web.settings import Settings


async def run_migrate(settings: Settings) -> None:
    await migrate(settings.database_url)
    print("migrations applied")


async def run_seed(settings: Settings) -> None:
    today = await Clock(None).today()  # the real date: the /dev/clock override is for the app
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(settings.database_url))
        # Demo accounts with a published password must never reach production (CONTRACT.md).
        result = await seed(today=today, demo=not settings.is_production)
    created = ", ".join(f"{table} {rows}" for table, rows in result.created.items() if rows)
    print(f"seeded ({today.isoformat()}): {created or 'nothing new'}")


async def run_createadmin(settings: Settings, username: str, mobile: str | None) -> None:
    password = os.environ.get("ADMIN_PASSWORD") or _ask_password()
    if not mobile:
        mobile = os.environ.get("ADMIN_MOBILE") or _ask("Mobile: ")
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(settings.database_url))
        account = await create_admin(username=username, password=password, mobile=mobile)
    print(f"administrator {account.username!r} created")


async def run_createaccount(
    settings: Settings, username: str, mobile: str, role: str, point: str | None, with_person: bool
) -> None:
    password = os.environ.get("ACCOUNT_PASSWORD") or _ask_password()
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(settings.database_url))
        account = await create_account(
            username=username, password=password, mobile=mobile, role=Role(role), point_code=point,
            with_person=with_person,
        )
    print(f"{account.role} {account.username!r} created")


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise ValueError(f"no answer to {prompt.strip()!r}") from None


def _ask_password() -> str:
    try:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise ValueError("the passwords do not match")
    except EOFError:
        raise ValueError("no password: set ADMIN_PASSWORD or run in a terminal") from None
    return password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.manage", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply every migration to DATABASE_URL")
    commands.add_parser("seed", help="streets, acceptance points and (outside production) the demo accounts")
    createadmin = commands.add_parser(
        "createadmin", help="create an administrator (password from ADMIN_PASSWORD or a prompt)"
    )
    createadmin.add_argument("--username", required=True)
    createadmin.add_argument("--mobile", help="11-digit mobile (or ADMIN_MOBILE, or a prompt)")
    createaccount = commands.add_parser(
        "createaccount", help="create an account of any role (password from ACCOUNT_PASSWORD or a prompt)"
    )
    createaccount.add_argument("--username", required=True)
    createaccount.add_argument("--mobile", required=True)
    createaccount.add_argument("--role", choices=[role.value for role in Role], default=Role.RESIDENT.value)
    createaccount.add_argument("--point", help="staff: the acceptance point's code (its street code)")
    createaccount.add_argument("--with-person", action="store_true",
                               help="give the account a person with a made-up valid ID number")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    try:
        if args.command == "migrate":
            asyncio.run(run_migrate(settings))
        elif args.command == "seed":
            asyncio.run(run_seed(settings))
        elif args.command == "createaccount":
            asyncio.run(run_createaccount(settings, args.username, args.mobile, args.role, args.point, args.with_person))
        else:
            asyncio.run(run_createadmin(settings, args.username, args.mobile))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
