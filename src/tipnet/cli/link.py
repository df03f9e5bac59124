"""`tipnet link`: link items into networks (on this machine or a Dask cluster) and measure the
result against a generated scenario's truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tipnet.cli import link_networks
from tipnet.cli.common import console, errors, friendly_errors, print_raw, say
from tipnet.errors import InvalidInput

if TYPE_CHECKING:
    from tipnet.link.engine import LinkConfig, LinkResult, RunReport
    from tipnet.link.evaluate import Evaluation

# NumPy, SciPy and the extractor load when a command runs, so that other commands start fast.
FORMATS = ("jsonl", "parquet")

app = typer.Typer(
    help="Link reports, ads, job offers, profiles and messages into networks.",
    no_args_is_help=True,
)
link_networks.register(app)


@app.command("run")
@friendly_errors
def run(
    source: Path | None = typer.Argument(
        None,
        help="A scenario directory (tipnet simulate) or a JSONL/Parquet file of items; "
        "without it, the reports filed with this node.",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Directory for networks, report and state files."
    ),
    store: bool | None = typer.Option(
        None,
        "--store/--no-store",
        help="Store the networks in the node's database (default: yes when linking the "
        "node's reports, no for a SOURCE). Earlier network ids and hub overrides are used.",
    ),
    engine: str = typer.Option("local", help="local (this machine) or dask (a cluster)."),
    scheduler: str | None = typer.Option(
        None, help="Dask scheduler address for --engine dask, e.g. tcp://10.0.0.5:8786."
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Processes for --engine local (default: all cores)."
    ),
    file_format: str = typer.Option("jsonl", "--format", help="jsonl or parquet."),
    state: Path | None = typer.Option(
        None,
        help="State directory of an earlier run (its OUT/state): link only the new items, "
        "keep the earlier ones and their network ids.",
    ),
    text_mode: str = typer.Option(
        "corroborate",
        help="How near-duplicate texts link: corroborate (only with a shared photo), link "
        "(alone, like photos), off.",
    ),
    text_threshold: float = typer.Option(
        0.7, help="Jaccard similarity of word shingles from which texts are near-duplicates."
    ),
    keep: list[str] = typer.Option(
        [], help="Signal to follow even if it looks like a hub, as kind:value (repeatable)."
    ),
    drop: list[str] = typer.Option(
        [], help="Signal never to follow, as kind:value, e.g. phone:+18682956306 (repeatable)."
    ),
    score: bool = typer.Option(
        True, "--score/--no-score", help="Score items with tipnet's detection for risk."
    ),
) -> None:
    """Link items into networks. With --out, write OUT/networks.jsonl (or .parquet),
    OUT/report.json (counts, hubs, what was skipped and why) and OUT/state/ for a later
    incremental run; with --store, keep the networks in the node's database, where
    `tipnet link list/show/export` and GET /api/v1/networks read them."""
    if file_format not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")
    to_node = source is None if store is None else store
    if out is None and not to_node:
        raise InvalidInput("nothing would be kept: give --out DIR, or --store")
    config = _config(text_mode, text_threshold, keep, drop, score)
    options: dict[str, Any] = {
        "engine": engine, "scheduler": scheduler, "workers": workers, "state": state,
    }  # fmt: skip
    with _progress() as report_progress:
        result = _link(source, to_node, config, options, report_progress)
    report = result.report
    _print_report(report)
    if out is not None:
        _write_outputs(result, out, file_format)


def _link(
    source: Path | None,
    to_node: bool,
    config: LinkConfig,
    options: dict[str, Any],
    report_progress: Any,
) -> LinkResult:
    if not to_node:
        from tipnet.link.engine import link

        assert source is not None  # run() refuses no source without --store
        return link(source, config=config, progress=report_progress, **options)
    from tipnet.cli.common import cli_actor, context
    from tipnet.link.node import link_into_node

    ctx = context()
    done = link_into_node(
        session_factory=ctx.session_factory,
        keyring=ctx.keyring,
        actor=cli_actor(),
        source=source,
        config=config,
        progress=report_progress,
        **options,
    )
    stored = done.stored
    say(
        f"stored in the node: {stored.networks:,} networks ({stored.created:,} new, "
        f"{stored.updated:,} updated, {stored.merged:,} merged into others, "
        f"{stored.dissolved:,} dissolved); run {stored.run_id}"
    )
    return done.result


def _write_outputs(result: LinkResult, out: Path, file_format: str) -> None:
    from tipnet.link.engine import save_state
    from tipnet.link.networks import write_networks

    out.mkdir(parents=True, exist_ok=True)
    networks_path = write_networks(result.networks, out / f"networks.{file_format}")
    (out / "report.json").write_text(json.dumps(result.report.as_dict(), indent=1) + "\n", "utf-8")
    save_state(result, out / "state")
    console.print(f"wrote {networks_path}, {out / 'report.json'} and {out / 'state'}")


@app.command("evaluate")
@friendly_errors
def evaluate_command(
    scenario: Path = typer.Argument(..., help="A scenario directory written by tipnet simulate."),
    networks: Path | None = typer.Option(
        None, help="Networks written by `tipnet link run` (default: link the scenario now)."
    ),
    engine: str = typer.Option("local", help="Engine when linking now: local or dask."),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address."),
    text_mode: str = typer.Option("corroborate", help="corroborate, link or off."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Pairwise precision, recall, F1 and adjusted Rand index of the networks against the
    scenario's truth; benign items, hard negatives and shared-hotline items caught in
    trafficking networks."""
    from tipnet.link.evaluate import evaluate, load_truth

    truth = load_truth(scenario)
    if networks is not None:
        from tipnet.link.networks import read_assignments

        assignments = read_assignments(networks)
    else:
        from tipnet.link.engine import link

        config = _config(text_mode, 0.7, [], [], True)
        with _progress() as report_progress:
            result = link(
                scenario,
                engine=engine,
                scheduler=scheduler,
                config=config,
                progress=report_progress,
            )
        assignments = result.assignments()
    figures = evaluate(assignments, truth)
    if as_json:
        print_raw(json.dumps(figures.as_dict(), indent=2))
        return
    _print_evaluation(figures)


def _config(
    text_mode: str, text_threshold: float, keep: list[str], drop: list[str], score: bool
) -> LinkConfig:
    from tipnet.link.engine import LinkConfig
    from tipnet.link.graph import GraphConfig, Overrides
    from tipnet.link.signals import SignalConfig

    for label in [*keep, *drop]:
        if ":" not in label:
            raise InvalidInput(f"{label!r}: give a signal as kind:value, e.g. phone:+34612345678")
    return LinkConfig(
        signals=SignalConfig(text_threshold=text_threshold, score=score),
        graph=GraphConfig(text_mode=text_mode),
        overrides=Overrides(keep=frozenset(keep), drop=frozenset(drop)),
    )


class _progress:
    """A rich progress bar fed by the pipeline's (stage, done, total) calls. No refresh thread:
    the local engine forks worker processes."""

    def __enter__(self) -> Any:
        self._bar = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=errors,  # stderr: stdout keeps the figures (and --json) clean
            auto_refresh=False,
        )
        self._bar.__enter__()
        self._tasks: dict[str, TaskID] = {}
        return self._report

    def _report(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total)
        self._bar.update(self._tasks[stage], completed=done, total=total)
        self._bar.refresh()

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)


def _print_report(report: RunReport) -> None:
    console.print(
        f"[bold]{report.networks:,} networks[/bold] ({report.transnational_networks:,} "
        f"transnational) from {report.items:,} items, {report.items_in_networks:,} of them in "
        f"networks; engine {report.engine}, {report.partitions} partitions",
        highlight=False,
    )
    times = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in report.seconds.items())
    console.print(f"time: {times}", highlight=False)
    if report.hubs:
        console.print(f"[bold]hub signals set aside[/bold] ({len(report.hubs)}), largest:")
        for hub in report.hubs[:5]:
            say(  # a hub's value comes from reports: text, not markup
                f"- {hub['kind']} {hub['value']}: {hub['items']:,} items, {hub['accounts']:,} "
                f"accounts, {hub['countries']} countries ({hub['reason']}; {hub['decision']})"
            )
    if report.skipped:
        console.print("[bold]skipped[/bold]")
        for reason, detail in report.skipped.items():
            console.print(f"- {reason}: {detail['count']:,}", highlight=False)


def _print_evaluation(figures: Evaluation) -> None:
    for title, scores in (
        ("trafficking networks", figures.trafficking),
        ("posters (all items)", figures.posters),
    ):
        console.print(
            f"{title:<21} precision {scores.precision:.3f}  recall {scores.recall:.3f}  "
            f"F1 {scores.f1:.3f}  adjusted Rand {scores.ari:.3f}  "
            f"({scores.pairs_correct:,} of {scores.pairs_found:,} pairs found right, "
            f"{scores.pairs_true:,} true pairs)",
            highlight=False,
        )
    console.print(
        f"networks: {figures.true_networks:,} true; {figures.networks_found:,} found, "
        f"{figures.networks_with_trafficking:,} holding trafficking items\n"
        f"benign items in those: {figures.benign_in_trafficking_networks:,} "
        f"(hard negatives {figures.hard_negatives_in_trafficking_networks:,}, items showing a "
        f"shared hotline or switchboard {figures.shared_phone_items_in_trafficking_networks:,})"
        f" of {figures.items:,} items",
        highlight=False,
    )
