"""Command line: ``mustafeed run | webhook | demo | migrate | check-profile | faq-eval | backup``.

A failure an operator can cause (a setting, a server out of reach, a port in use, a database
never migrated) ends in one line on stderr naming the cause and the fix, and exit status 2 (a
setting to correct) or 1 (something to start or free); see ``bot.engine.service.explain``.
Anything else is a bug: its traceback is printed, with every token taken out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from pathlib import Path

from bot.channels.telegram.failures import explain_telegram
from bot.engine.logging_setup import hide, redact
from bot.engine.service import (
    database_errors,
    explain,
    profile_from_settings,
    require_schema,
    run_service,
    settle_memory,
    setup_logging,
    until_signalled,
)
from bot.settings import ConfigError, Settings, load_settings


def _apps_settings(settings: Settings, profile_paths: list[str] | None):
    """(settings, profile) per association; one process may serve several."""
    from bot.app import check_staff_chats, settings_for

    profiles = [profile_from_settings(settings, p) for p in (profile_paths or (None,))]
    pairs = [(settings_for(settings, p).require_bot(), p) for p in profiles]
    for app_settings, _ in pairs:
        hide(app_settings.token)
    ids = [p.association.id for _, p in pairs]
    tokens = [s.token for s, _ in pairs]
    if len(set(ids)) != len(ids):
        raise ConfigError("MUSTAFEED_PROFILE: two profiles have the same association id")
    if len(set(tokens)) != len(tokens):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN: each association needs its own bot token "
            "(set deployment.token_env in each profile)"
        )
    check_staff_chats(pairs)
    return pairs


async def _run(pairs, whatsapp_port: int = 8444, host: str = "0.0.0.0") -> None:
    from aiohttp import web

    from bot.app import BotApp
    from storage.db import Database

    db = Database(pairs[0][0].database_url)  # one database, every row keyed by association
    apps = [BotApp(settings, profile, db=db) for settings, profile in pairs]
    on_whatsapp = [app for app in apps if app.whatsapp is not None]
    if len(on_whatsapp) > 1:
        raise ConfigError(
            "WHATSAPP_PHONE_NUMBER_ID: one WhatsApp number per process; run the "
            "other associations' WhatsApp in processes of their own"
        )
    runner = web.AppRunner(on_whatsapp[0].whatsapp_app(), access_log=None) if on_whatsapp else None
    try:
        for app in apps:
            await app.start_polling()
            logging.getLogger("mustafeed").info(
                "polling %s for %s", app.settings.api_base_url, app.rt.tenant
            )
        if runner is not None:  # Meta's webhook beside Telegram's long polling
            await runner.setup()
            await web.TCPSite(runner, host, whatsapp_port).start()
            logging.getLogger("mustafeed").info(
                "WhatsApp webhook on %s:%s/whatsapp for %s",
                host,
                whatsapp_port,
                on_whatsapp[0].rt.tenant,
            )
        settle_memory()
        await _until_signalled_or_refused(apps)
    finally:
        if runner is not None:
            await runner.cleanup()
        for app in apps:
            await app.stop()
        await db.dispose()


async def _until_signalled_or_refused(apps) -> None:
    """Until a signal; or until a poller stops for good, its token rejected (revoked at
    @BotFather while running): then the command ends with that line instead of idling."""
    from bot.channels.telegram.api import InvalidToken

    stop = asyncio.ensure_future(until_signalled())
    pollers = {
        task: app for app in apps for task in app._tasks if task.get_name().startswith("poller:")
    }
    try:
        done, _ = await asyncio.wait([stop, *pollers], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    for task in done:
        if task is stop or task.cancelled() or task.exception() is None:
            continue
        if isinstance(task.exception(), InvalidToken):
            app = pollers[task]
            name = app.profile.deployment.token_env or "TELEGRAM_BOT_TOKEN"
            raise ConfigError(
                f"{name} is no longer accepted by the Bot API (revoked at "
                "@BotFather?): put the new token in it and start again"
            )
        raise task.exception()


def cmd_run(args: argparse.Namespace) -> int:
    pairs = _apps_settings(load_settings(), args.profile)
    run_service(_run(pairs, args.whatsapp_port))
    return 0


def cmd_webhook(args: argparse.Namespace) -> int:
    from bot.web.webhook import serve

    settings = load_settings().require_bot()
    hide(settings.token)
    run_service(
        serve(
            settings,
            profile_from_settings(settings, args.profile),
            host=args.host,
            port=args.port,
            public_url=args.url,
        )
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.web.demo import run_demo

    run_service(run_demo(host=args.host, port=args.port))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from storage.db import Database

    url = load_settings().database_url

    async def go() -> None:
        db = Database(url)
        try:
            async with database_errors(url):
                await db.migrate()
        finally:
            await db.dispose()

    asyncio.run(go())
    print("database is up to date")
    return 0


def cmd_check_profile(args: argparse.Namespace) -> int:
    from bot.profile import check_profile

    problems = check_profile(Path(args.path))
    if problems:
        print(f"{args.path}: {len(problems)} problem(s)")
        for line in problems:
            print(f"  {line}")
        return 1
    print(f"{args.path}: valid")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from storage.backup import backup

    url = load_settings().database_url
    if make_url(url).get_backend_name() == "sqlite":
        asyncio.run(require_schema(url))  # never back up (and so create) an empty file
    backup(url, Path(args.file))
    print(f"backup written to {args.file}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit log: every staff view of personal data, every decision, every erasure."""
    from sqlalchemy import select

    from storage.db import Database
    from storage.models import AuditLog

    url = load_settings().database_url

    async def go() -> None:
        await require_schema(url)
        db = Database(url)
        try:
            async with (
                database_errors(url),
                db.read(unscoped=True) as session,
            ):  # every association's log
                stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(args.limit)
                if args.association:
                    stmt = stmt.where(AuditLog.association_id == args.association)
                rows = (await session.scalars(stmt)).all()
        finally:
            await db.dispose()
        for row in reversed(rows):
            subject = f"{row.subject_kind}:{row.subject_id}" if row.subject_kind else "-"
            print(
                f"{row.at:%Y-%m-%d %H:%M:%S} {row.association_id} actor={row.actor_id or '-'} "
                f"{row.action} {subject} {row.detail or ''}".rstrip()
            )

    asyncio.run(go())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``mustafeed report --from … --to … --format xlsx|csv --out FILE``."""
    from bot.domain.dates import today_riyadh
    from bot.domain.reports import PeriodError, export, parse_period
    from storage.db import Database

    settings = load_settings()
    asyncio.run(require_schema(settings.database_url))
    profile = profile_from_settings(settings, args.profile)
    try:
        period = parse_period(f"{args.date_from} {args.date_to}", today_riyadh())
    except PeriodError as exc:
        print(f"mustafeed report: {exc}; use --from YYYY-MM-DD --to YYYY-MM-DD")
        return 2

    async def go():
        db = Database(settings.database_url)
        try:
            async with db.read(tenant=profile.association.id) as session:
                return await export(
                    session, profile.association.id, profile, period, args.format, Path(args.out)
                )
        finally:
            await db.dispose()

    result = asyncio.run(go())
    note = " (cut at the sheet's limit)" if result.truncated else ""
    print(f"report written to {result.path}: {result.answers} anonymised answers{note}")
    return 0


def cmd_faq_export(args: argparse.Namespace) -> int:
    """``mustafeed faq-export [--profile P] [--out FILE | --in-place]``: the approved learned
    phrasings and the approved entries drafted by staff written into a copy of the profile YAML
    (the original only with --in-place)."""
    from html import escape

    from bot.domain.faq.drafts import approved_rows, entry_id
    from bot.domain.faq.export import NewEntry, add_entries, add_phrasings
    from bot.domain.faq.learned import approved_by_entry
    from bot.engine.service import ConfigError
    from bot.profile import ProfileError, default_profile_path, load_profile
    from storage.db import Database

    settings = load_settings()
    asyncio.run(require_schema(settings.database_url))
    source = Path(args.profile) if args.profile else settings.profile_path or default_profile_path()
    profile = profile_from_settings(settings, str(source))

    async def go() -> tuple[dict[str, list[str]], list[NewEntry]]:
        db = Database(settings.database_url)
        try:
            async with db.read(tenant=profile.association.id) as session:
                learned = await approved_by_entry(session)
                rows = await approved_rows(session)
        finally:
            await db.dispose()
        drafted = [
            NewEntry(
                entry_id(r), r.category, r.question, escape(r.answer), learned.get(entry_id(r), ())
            )
            for r in rows
        ]
        return learned, drafted

    learned, drafted = asyncio.run(go())
    existing = {e.id: [*e.question.texts(), *e.phrasings] for e in profile.faq.entries}
    text, added = add_phrasings(source.read_text(encoding="utf-8"), learned, existing)
    text, new_entries = add_entries(text, drafted, set(existing))
    target = source if args.in_place else Path(args.out or source.with_suffix(".learned.yaml"))
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_profile(tmp)  # what is written must load as the profile did
    except ProfileError as exc:
        tmp.unlink()
        raise ConfigError(f"faq-export: the exported profile would not load:\n{exc}") from None
    tmp.replace(target)
    print(f"{added} learned phrasings and {new_entries} new entries written into {target}")
    return 0


def cmd_rebuild_totals(args: argparse.Namespace) -> int:
    """``mustafeed rebuild-totals [--association ID]``: recompute the reports' running totals
    from the rows (storage/totals.py), one association per transaction; running it again
    changes nothing."""
    import time

    from sqlalchemy import select

    from storage.db import Database
    from storage.models import Association
    from storage.totals import rebuild

    settings = load_settings()
    asyncio.run(require_schema(settings.database_url))

    def _rebuild_one(session, tenant: str) -> int:
        return rebuild(session.connection(), tenant)

    async def go() -> int:
        db = Database(settings.database_url)
        try:
            async with db.read(unscoped=True) as session:
                known = (
                    await session.scalars(select(Association.id).order_by(Association.id))
                ).all()
            tenants = [args.association] if args.association else list(known)
            if args.association and args.association not in known:
                print(
                    f"mustafeed rebuild-totals: no association {args.association!r} in this database"
                )
                return 2
            for tenant in tenants:
                started = time.perf_counter()
                async with db.write(tenant=tenant) as session:
                    rows = await session.run_sync(_rebuild_one, tenant)
                print(f"{tenant}: {rows} counter rows ({time.perf_counter() - started:.1f} s)")
            return 0
        finally:
            await db.dispose()

    return asyncio.run(go())


def cmd_dashboard(args: argparse.Namespace) -> int:
    from bot.app import settings_for
    from bot.web.dashboard import run_cli

    settings = load_settings()
    profile = profile_from_settings(settings, args.profile)
    if args.link is None:
        asyncio.run(require_schema(settings.database_url))
    return run_cli(settings_for(settings, profile), profile, args.host, args.port, args.link)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [
        "faq-eval"
    ]:  # its own options (--train, --test …) belong to bot.domain.faq.evaluate
        from bot.domain.faq.evaluate import main as faq_main

        return faq_main(argv[1:]) or 0
    parser = argparse.ArgumentParser(prog="mustafeed", description="Mustafeed — مُستفيد")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="long polling against Telegram or TELEGRAM_API_BASE_URL")
    p.add_argument(
        "--profile",
        action="append",
        help="association profile (default MUSTAFEED_PROFILE); repeat to serve several",
    )
    p.add_argument(
        "--whatsapp-port",
        type=int,
        default=8444,
        help="port of the WhatsApp webhook (/whatsapp), when WHATSAPP_PHONE_NUMBER_ID "
        "is set (default 8444)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("webhook", help="serve Telegram's webhook (aiohttp) with a health endpoint")
    p.add_argument("--profile")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--url", help="the public HTTPS URL Telegram should call (sets the webhook)")
    p.set_defaults(func=cmd_webhook)

    p = sub.add_parser("demo", help="emulator + bot + browser page, no token needed")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("check-profile", help="validate an association profile")
    p.add_argument("path")
    p.set_defaults(func=cmd_check_profile)

    sub.add_parser("faq-eval", help="measure the FAQ matcher on labelled CSVs (see --help of it)")

    p = sub.add_parser(
        "faq-export",
        help="write the learned FAQ phrasings and staff-drafted entries into a copy of the profile YAML",
    )
    p.add_argument("--profile")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--out", metavar="FILE", help="default: PROFILE.learned.yaml beside it")
    out.add_argument("--in-place", action="store_true", help="rewrite the profile itself")
    p.set_defaults(func=cmd_faq_export)

    p = sub.add_parser("backup", help="online backup of the SQLite database")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("audit", help="print the audit log (views of personal data, decisions)")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--association", help="only this association id")
    p.set_defaults(func=cmd_audit)

    # satisfaction reports and the supervisors' dashboard (bot/domain/reports/, bot/web/dashboard.py)
    p = sub.add_parser("report", help="satisfaction and service report for a period (XLSX or CSV)")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--profile")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("rebuild-totals", help="recompute the reports' running totals from the rows")
    p.add_argument("--association", help="only this association (default: every one)")
    p.set_defaults(func=cmd_rebuild_totals)
    p = sub.add_parser(
        "dashboard", help="serve the supervisors' dashboard (signed links from /dashboard)"
    )
    p.add_argument("--profile")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, help="default MUSTAFEED_DASHBOARD_PORT or 8090")
    p.add_argument(
        "--link",
        type=int,
        metavar="USER_ID",
        help="print a fresh link for this supervisor and exit",
    )
    p.set_defaults(func=cmd_dashboard)

    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        failure = explain(exc, explain_telegram)
        if failure is None:
            trace = "".join(traceback.format_exception(exc))
            print(
                f"mustafeed: unexpected error (a bug: please report it with what follows)\n"
                f"{redact(trace)}",
                file=sys.stderr,
            )
            return 1
        print(f"mustafeed: {failure}", file=sys.stderr)
        return failure.status


if __name__ == "__main__":
    sys.exit(main())
