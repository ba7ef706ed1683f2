"""The `cohost` command: init, run, migrate, resync, repair, doctor, backup, restore,
demo."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from service.settings import Settings, SettingsError, load_settings
from service.version import version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cohost", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cohost {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "run the service"),
        ("migrate", "apply database migrations and exit"),
        ("resync", "rebuild the database index from Matrix state and exit"),
        ("repair", "give founders back the protected power levels in cohost's rooms and exit"),
        ("doctor", "check this setup, one line per check, and exit non-zero on a failure"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", type=Path, help="TOML settings file (COHOST_* variables win)")
        if name == "doctor":
            p.add_argument(
                "--admin-token-file",
                type=Path,
                help="a homeserver admin's access token: also check the bot's rate limits",
            )
    for name, text in (
        ("backup", "copy the database, crypto store and credentials into a new directory"),
        ("restore", "put a backup back into an empty data_dir and database"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("dir", type=Path)
        p.add_argument("--config", type=Path, help="TOML settings file (COHOST_* variables win)")
        if name == "restore":
            p.add_argument(
                "--keep-sync-position",
                action="store_true",
                help="the backup was made of a stopped cohost: carry on where it stood",
            )
    from service.admin.init import add_arguments
    from service.appservice import add_arguments as registration_arguments

    registration_arguments(
        sub.add_parser(
            "appservice-registration",
            help="write an appservice registration: cohost without the homeserver's rate limits",
        )
    )

    add_arguments(sub.add_parser("init", help="make the bot's account and write a config file"))
    sub.add_parser("example-config", help="print a commented config with every setting")
    demo = sub.add_parser("demo", help="a throwaway homeserver, cohost and demo users")
    demo.add_argument("--dir", type=Path, help="keep the demo's files here instead of a temp dir")
    demo.add_argument("--port", type=int, help="homeserver port (default: a free one)")
    args = parser.parse_args(argv)

    # Whatever cohost writes (database, crypto store, stored login) is its user's alone.
    os.umask(0o077)
    try:
        if args.command == "demo":
            from service.admin.demo import run_demo

            return asyncio.run(run_demo(args.dir, args.port))
        if args.command == "appservice-registration":
            from service.appservice import write_registration

            return write_registration(args)
        if args.command == "example-config":
            from service.admin.example_config import example_config

            print(example_config(), end="")
            return 0
        if args.command == "init":
            from service.admin.init import run_init

            return asyncio.run(run_init(args))
        settings = load_settings(args.config)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "resync":
            return asyncio.run(_resync(settings))
        if args.command == "repair":
            return asyncio.run(_repair(settings))
        if args.command in ("backup", "restore"):
            return _backup_or_restore(settings, args)
        if args.command == "doctor":
            from service.admin.doctor import run_doctor
            from service.admin.init import InitError, read_secret

            token = None
            if args.admin_token_file is not None:
                try:
                    token = read_secret(args.admin_token_file, "--admin-token-file")
                except InitError as err:
                    print(f"cohost doctor: {err}", file=sys.stderr)
                    return 2
            return asyncio.run(run_doctor(settings, admin_token=token))
        return asyncio.run(_run(settings))
    except SettingsError as err:
        print(f"cohost: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    from service.admin.backup import BackupError, backup, restore

    try:
        if args.command == "backup":
            kind = backup(settings, args.dir)
            print(f"cohost: backed up data_dir and the database ({kind}) into {args.dir}")
            return 0
        restore(settings, args.dir, keep_sync_position=args.keep_sync_position)
    except BackupError as err:
        print(f"cohost {args.command}: {err}", file=sys.stderr)
        return 1
    print(f"cohost: restored {args.dir} into {settings.data_dir}")
    if not args.keep_sync_position:
        print("Next: `cohost resync` (reads what happened since the backup), then `cohost run`.")
    return 0


async def _run(settings: Settings) -> int:
    from service.app import install_stop_signals, run_service
    from service.logging import configure_logging, warn_of_unknown_variables

    configure_logging(settings.log_format, settings.log_level)
    warn_of_unknown_variables()
    stop = asyncio.Event()
    install_stop_signals(stop)
    await run_service(settings, stop)
    return 0


async def _migrate(settings: Settings) -> int:
    from storage.database import make_engine, migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    print("cohost: database is up to date")
    return 0


async def _resync(settings: Settings) -> int:
    from handlers.framework.clock import SystemClock
    from handlers.resync import rebuild_index
    from service.app import build_cohost, connected
    from service.gateway import NioGateway
    from service.logging import configure_logging
    from service.state_cache import StateCache

    configure_logging(settings.log_format)
    async with connected(settings) as (client, sessions):
        # Every room's state is read once: a cache that counts all joined rooms as kept.
        cache = StateCache()
        gateway = NioGateway(client, cache)
        cache.synced(joined=await gateway.joined_rooms(), changed=(), left=())
        # Every feature installed, as in the service, so that each rebuilds its part.
        house = build_cohost(gateway, sessions, settings, SystemClock()).house
        counts = await rebuild_index(house)
    print(
        f"cohost: index rebuilt from Matrix: {counts['congregations']} congregation(s), "
        f"{counts['crews']} crew(s), {counts['networks']} network(s), "
        f"{counts['proposals']} open proposal(s) in {counts['rooms']} room(s)"
    )
    return 0


async def _repair(settings: Settings) -> int:
    from handlers.community.rooms import repair_rooms
    from service.app import connected
    from service.gateway import NioGateway
    from service.logging import configure_logging

    configure_logging(settings.log_format)
    async with connected(settings) as (client, _):
        repaired = await repair_rooms(NioGateway(client))
    print(f"cohost: protected power levels checked; {repaired} room(s) repaired")
    return 0


if __name__ == "__main__":
    sys.exit(main())
