"""The ``meridian`` command."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from meridian.analytics.cli import analytics_app
from meridian.audit.cli import audit_app
from meridian.bot.cli import bot_app
from meridian.config import get_settings
from meridian.translation.cli import translate_app

if TYPE_CHECKING:
    from meridian.db.engine import Database

app = typer.Typer(help="Meridian: customer service for companies that sell worldwide.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(audit_app, name="audit")
app.add_typer(bot_app, name="bot")
app.add_typer(analytics_app, name="analytics")
app.add_typer(translate_app, name="translate")

log = logging.getLogger("meridian")


def _setup_logging() -> None:
    from meridian.ops.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, json_logs=settings.log_json)


def _database_url() -> str:
    from meridian.db.engine import resolve_database_url

    return resolve_database_url(get_settings())


async def _migrate(url: str) -> None:
    from meridian.db.migrate import upgrade_async
    from meridian.vault import regions

    await upgrade_async(url)
    settings = get_settings()
    await regions.start(spec=settings.regions, home_url=url, embedded=settings.database_url is None)


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    _setup_logging()
    url = _database_url()
    asyncio.run(_migrate(url))
    typer.echo("migrations applied")


def _graceful_server_class() -> type[Any]:
    import contextlib
    import signal
    import threading
    from collections.abc import Iterator

    import uvicorn
    from uvicorn.server import HANDLED_SIGNALS

    class GracefulServer(uvicorn.Server):
        """uvicorn, minus re-raising the stop signal once it has shut down.

        uvicorn re-raises a captured SIGTERM after its own shutdown; the default handler
        then kills the process before our clean-up runs (mail receivers, the pool, and
        the embedded PostgreSQL's exit hook, which stops the server): `meridian serve`
        stopped by a process manager left PostgreSQL running. Here a signal only means
        "shut down", which is done when ``serve()`` returns.
        """

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            original = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return GracefulServer


async def _serve(host: str, port: int, *, demo: bool = False, web_processes: int = 1) -> None:
    import uvicorn

    from meridian.app import create_app
    from meridian.db.engine import make_database, set_database

    settings = get_settings()
    if "public_url" not in settings.model_fields_set:
        # Unset: this process is reachable where it listens (webhook URLs, demo sandbox).
        settings.public_url = f"http://{host}:{port}"
    if demo and settings.database_url is None and not settings.regions:
        # The demo shows data residency: an "eu" database beside the home one.
        settings.regions = "eu=embedded"
    url = _database_url()
    await _migrate(url)
    db = make_database(url)
    set_database(db)
    if demo:
        from meridian.demo.seed import print_demo_banner, seed_demo

        info = await seed_demo(db)
        print_demo_banner(info, base_url=f"http://{host}:{port}")
    receivers = []
    from meridian.channels.email.service import smtp_receiver

    for mail_port, lmtp in ((settings.smtp_port, False), (settings.lmtp_port, True)):
        if mail_port is None:
            continue
        # Mail forwarded to Meridian (docs/channels/email.md); same interface as HTTP.
        receiver = smtp_receiver(db, host, mail_port, lmtp=lmtp)
        await receiver.start()
        receivers.append(receiver)
        log.info(
            "receiving mail by LMTP" if lmtp else "receiving mail by SMTP",
            extra={"host": host, "port": receiver.port},
        )
    try:
        if web_processes > 1:
            await _serve_processes(db, host, port, web_processes)
        else:
            server = _graceful_server_class()(
                uvicorn.Config(
                    create_app(db=db, run_workers=True, demo=demo),
                    host=host,
                    port=port,
                    log_config=None,
                    timeout_graceful_shutdown=20,
                    proxy_headers=True,
                )
            )
            await server.serve()
    finally:
        for receiver in receivers:
            await receiver.stop()
        await db.dispose()


async def _serve_processes(db: Database, host: str, port: int, count: int) -> None:
    """``count`` web processes on one socket, the background workers here.

    In one process, the event dispatcher (routing, SLA, analytics...) is one task among
    the requests' tasks on one event loop: under inbound load it got a sliver of the
    loop and fell minutes behind the 2xx. Here it has this process to itself, and the
    requests have every core (docs/performance.md, "Ingestion")."""
    import signal
    import socket

    from meridian.jobs.runtime import Workers
    from meridian.ops.webprocs import WebProcesses

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    web = WebProcesses(count=count, fd=sock.fileno(), host=host, port=port)
    workers = Workers(db, concurrency=get_settings().workers_concurrency)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    web.start()
    log.info("serving", extra={"host": host, "port": port, "web_processes": count})
    try:
        await workers.start()
        await stop.wait()
    finally:
        await web.stop()
        await workers.stop()
        sock.close()


def _web_processes(option: int | None) -> int:
    # One by default: every web process loads its own ~1 GB language detector, and on the
    # 2-core benchmark machine more processes did not raise ingestion (docs/performance.md).
    return max(1, option or get_settings().web_processes or 1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    web_processes: Annotated[
        int | None,
        typer.Option(
            help="Web processes sharing the port (default: MERIDIAN_WEB_PROCESSES, else 1)."
            " With more than one, the background workers run in serve's own process beside"
            " them, and each process loads its own language models (about 1 GB each)."
        ),
    ] = None,
) -> None:
    """Apply migrations, then run the web app and the background workers."""
    _setup_logging()
    asyncio.run(_serve(host, port, web_processes=_web_processes(web_processes)))


async def _serve_web(fd: int, host: str, port: int) -> None:
    import socket

    import uvicorn

    from meridian.app import create_app
    from meridian.db.engine import make_database, set_database

    settings = get_settings()
    if "public_url" not in settings.model_fields_set:
        settings.public_url = f"http://{host}:{port}"
    # The parent migrated and (embedded mode) started PostgreSQL; this joins it.
    db = make_database(_database_url())
    set_database(db)
    config = uvicorn.Config(
        create_app(db=db, run_workers=False),
        log_config=None,
        timeout_graceful_shutdown=20,
        proxy_headers=True,
    )
    try:
        await _graceful_server_class()(config).serve(sockets=[socket.socket(fileno=fd)])
    finally:
        await db.dispose()


@app.command("serve-web", hidden=True)
def serve_web(
    fd: Annotated[int, typer.Option()],
    parent_pid: Annotated[int, typer.Option()],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """One extra web process of ``serve`` (started by it, never by hand)."""
    from meridian.languages.detect import warm_up
    from meridian.ops.webprocs import die_with_parent

    die_with_parent(parent_pid)
    _setup_logging()
    # Models first, then accept: loading them holds the interpreter lock for seconds (for
    # minutes on a busy machine), and connections this process accepted meanwhile would
    # wait unanswered. Until it accepts, the other web processes take them.
    try:
        warm_up()
    except Exception:
        log.exception("language models could not be preloaded")
    asyncio.run(_serve_web(fd, host, port))


@app.command()
def demo(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """``serve`` plus a seeded multinational demo workspace."""
    _setup_logging()
    asyncio.run(_serve(host, port, demo=True))


async def _worker() -> None:
    import signal

    from meridian.db.engine import make_database, set_database
    from meridian.jobs.runtime import Workers

    url = _database_url()
    await _migrate(url)
    db = make_database(url)
    set_database(db)
    workers = Workers(db, concurrency=get_settings().workers_concurrency)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await workers.start()
    await stop.wait()
    await workers.stop()
    await db.dispose()


@app.command()
def worker() -> None:
    """Run background workers only (scale out by running more of these)."""
    _setup_logging()
    asyncio.run(_worker())


async def _bootstrap(workspace: str, email: str, password: str) -> dict[str, str]:
    from meridian.db.engine import make_database
    from meridian.workspaces.service import bootstrap_workspace

    url = _database_url()
    await _migrate(url)
    db = make_database(url, pool_size=1)
    try:
        async with db.session() as session:
            result = await bootstrap_workspace(
                session=session, name=workspace, email=email, password=password
            )
        return {
            "workspace_id": str(result.workspace.id),
            "agent_id": str(result.admin.id),
            "token": result.token,
        }
    finally:
        await db.dispose()


@admin_app.command("bootstrap")
def bootstrap(
    workspace: Annotated[str, typer.Option(help="Workspace name.")],
    email: Annotated[str, typer.Option(help="The first admin's email.")],
    password: Annotated[str, typer.Option(help="The first admin's password (8+ characters).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create a workspace and its first admin; print an API token for that admin."""
    _setup_logging()
    if len(password) < 8:
        typer.echo("error: the password needs at least 8 characters", err=True)
        raise typer.Exit(2)
    if "@" not in email:
        typer.echo("error: --email must be an email address", err=True)
        raise typer.Exit(2)
    from sqlalchemy.exc import IntegrityError

    try:
        result = asyncio.run(_bootstrap(workspace, email, password))
    except IntegrityError:
        typer.echo(f"error: an agent with email {email} already exists", err=True)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        typer.echo(f"workspace {result['workspace_id']}\nadmin {result['agent_id']}\ntoken {result['token']}")


def main() -> None:
    app()
