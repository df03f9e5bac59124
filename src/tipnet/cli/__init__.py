"""The `tipnet` command: one sub-command group per domain."""

from __future__ import annotations

import typer

from tipnet.cli import (
    admin,
    audit,
    backup,
    db,
    demo,
    detect,
    federation,
    link,
    reports,
    serve,
    simulate,
)

app = typer.Typer(
    help="tipnet: a node for reporting, investigating and sharing information on trafficking "
    "in persons facilitated by ICT. Settings come from TIPNET_* variables or .env.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
admin.app.command("backup")(backup.backup)
admin.app.command("restore")(backup.restore)
app.add_typer(admin.app, name="admin")
app.add_typer(reports.app, name="reports")
app.add_typer(audit.app, name="audit")
app.add_typer(demo.app, name="demo")
app.add_typer(detect.app, name="detect")
app.command("serve")(serve.serve)
app.command("simulate")(simulate.simulate)
app.add_typer(simulate.exercise_app, name="exercise")
app.add_typer(federation.node_app, name="node")
app.add_typer(federation.peers_app, name="peers")
app.add_typer(federation.federation_app, name="federation")
app.add_typer(link.app, name="link")
