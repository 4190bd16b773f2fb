"""Whole stores and SDK stores: ``migrate`` and ``import-from``."""

from __future__ import annotations

from typing import Annotated

import typer

from ..importers import SCHEMES, ImportReport, import_sessions, open_source
from ..migrate import OUTCOMES, MigrationReport, migrate
from .options import Json, Prefix, examples
from .output import Output, output, table
from .runtime import CommandFailed, open_for_reading, open_for_writing, run

DEFAULT_WORKERS = 8


def register(app: typer.Typer) -> None:
    app.command(
        "migrate",
        epilog=examples(
            "sessions-plus migrate sqlite:///chat.db redis://localhost:6379/0",
            "sessions-plus migrate sqlite:///chat.db 'dynamodb://sessions?region=eu-west-1' "
            "--workers 16 --verify",
            "sessions-plus migrate redis://old:6379/0 redis://new:6379/0 --prefix tenant-7: "
            "--resume",
        ),
    )(migrate_command)
    app.command(
        "import-from",
        epilog=examples(
            "sessions-plus import-from agents-sqlite:///conversations.db sqlite:///chat.db",
            "sessions-plus import-from 'agents-redis://localhost:6379/0?key_prefix=agents:session' "
            "redis://localhost:6379/1",
            "sessions-plus import-from strands-file:///var/lib/strands sqlite:///chat.db "
            "--prefix legacy:",
            "sessions-plus import-from 'strands-s3://my-bucket/sessions?region=us-east-1' "
            "'dynamodb://sessions?region=us-east-1' --session-id user-42",
        ),
    )(import_from_command)


def migrate_command(
    source_url: Annotated[str, typer.Argument(metavar="SRC", help="store URL to copy from")],
    target_url: Annotated[str, typer.Argument(metavar="DST", help="store URL to copy into")],
    prefix: Prefix = "",
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=256, help="sessions copied at once")
    ] = DEFAULT_WORKERS,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="go on after an interrupted run: skip sessions already copied identically, "
            "replace partial or different ones",
        ),
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify", help="read each copy back: record counts, last seqs and content hash"
        ),
    ] = False,
    json: Json = False,
) -> None:
    """Copy every session (or a prefix) from any store to any store, whole and resumably.

    Each session is copied with snapshot/restore: seqs, times, headers and documents are kept,
    and a session is in the target whole or not at all where the backend allows. Expired
    sessions are skipped. After Ctrl-C or a crash, run the same command with --resume.
    """
    out = output(json)

    async def go() -> MigrationReport:
        async with open_for_reading(source_url) as source, open_for_writing(target_url) as target:
            with out.progress("migrating") as bar:
                bar.describe("listing sessions")
                report = await migrate(
                    source,
                    target,
                    prefix=prefix,
                    workers=workers,
                    resume=resume,
                    verify=verify,
                    on_listed=lambda n: bar.set_total(n, "migrating"),
                    on_session=lambda result: bar.advance(),
                )
        return report

    report = run(go())
    if out.json:
        out.emit(report.to_json())
    else:
        _migration_summary(out, report, verify)
    if not report.ok:
        raise typer.Exit(1)


def _migration_summary(out: Output, report: MigrationReport, verify: bool) -> None:
    rows = [[outcome, str(report.count(outcome))] for outcome in OUTCOMES]
    rows.append(["records written", str(report.records)])
    if verify:
        verified = sum(1 for r in report.results if r.verified)
        rows.append(["verified", f"{verified} ok, {len(report.mismatched)} mismatched"])
    rows.append(["time", f"{report.seconds:.1f} s ({report.rate:,.1f} sessions/s)"])
    out.print(table(f"migrated {report.listed} listed session(s)", ["", "sessions"], rows))
    problems = [
        r for r in report.results if r.outcome in ("failed", "conflict") or r.verified is False
    ]
    if problems:
        out.print(
            table(
                f"{len(problems)} problem(s)",
                ["session", "outcome", "detail"],
                [[r.session_id, r.outcome, r.detail] for r in problems[:50]],
            )
        )
        if any(r.outcome == "conflict" for r in problems):
            out.note("sessions already in the target were left alone; --resume handles them")


def import_from_command(
    source_url: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE", help="an SDK store: " + ", ".join(f"{s}://" for s in SCHEMES)
        ),
    ],
    target_url: Annotated[str, typer.Argument(metavar="DST_URL", help="store URL to import into")],
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="import only this session")
    ] = None,
    prefix: Annotated[
        str,
        typer.Option("--prefix", metavar="NEW:", help="prepend this to every imported id"),
    ] = "",
    json: Json = False,
) -> None:
    """Bring history over from the SDKs' own stores (OpenAI Agents SQLite/Redis, Strands file/S3).

    OpenAI sessions become stream 'main' (what StoreSession reads); Strands sessions keep their
    agents, message ids, agent state and multi-agent state. What cannot be carried over is
    listed. Re-running skips the sessions already imported.
    """
    out = output(json)

    async def go() -> ImportReport:
        async with open_source(source_url) as source, open_for_writing(target_url) as target:
            with out.progress("importing") as bar:
                report = await import_sessions(
                    source,
                    target,
                    session_id=session_id,
                    prefix=prefix,
                    on_listed=bar.set_total,
                    on_session=lambda result: bar.advance(),
                )
        if session_id is not None and report.count("missing"):
            raise CommandFailed(f"{source_url} has no session {session_id!r}")
        return report

    report = run(go())
    if out.json:
        out.emit(report.to_json())
    else:
        _import_summary(out, report)
    if not report.ok:
        raise typer.Exit(1)


def _import_summary(out: Output, report: ImportReport) -> None:
    rows = [
        [r.session_id, r.outcome, str(r.records), str(r.docs), "\n".join(r.notes) or "—"]
        for r in report.results
    ]
    out.print(
        table(
            f"{report.count('imported')} imported, {report.count('skipped')} skipped, "
            f"{report.count('failed')} failed ({report.seconds:.1f} s)",
            ["session", "outcome", "records", "documents", "not carried over / notes"],
            rows,
        )
    )
