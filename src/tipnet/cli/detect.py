"""`tipnet detect`: train and measure the detection models, and score files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from tipnet.cli.common import console, errors, friendly_errors
from tipnet.errors import InvalidInput

app = typer.Typer(
    help="Detection: train and evaluate models, score files of texts and accounts.",
    no_args_is_help=True,
)

KIND_HELP = "twitter_account, instagram_account or job_offer"


@app.command("train")
@friendly_errors
def train_command(
    kind: str = typer.Argument(..., help=KIND_HELP),
    data: Path = typer.Option(
        ..., exists=True, dir_okay=False, help="Labelled CSV (gzip allowed) in the model's columns."
    ),
    output: Path = typer.Option(
        Path("models"), help="Directory the model, its metadata and model card are written to."
    ),
) -> None:
    """Train a model on a labelled file, print its metrics on data it never saw (5-fold
    cross-validation, bootstrap 95% intervals) beside a plain gradient-boosting baseline, and
    save it with skops and a model card.

    job_offer takes EMSCAD's columns: title, company_profile, description, requirements,
    benefits, telecommuting, has_company_logo, has_questions, employment_type,
    required_experience, required_education, industry, function, fraudulent.
    """
    from tipnet.detect import cards, jobs, store, training
    from tipnet.detect.accounts import SPECS

    if kind not in (*SPECS, jobs.KIND):
        raise InvalidInput(f"unknown kind {kind!r}; use one of {KIND_HELP}")
    with console.status(f"training {kind} on {data.name}"):
        result = (
            training.train_account_model(SPECS[kind], data) if kind in SPECS else jobs.train(data)
        )
    _print_training(kind, result)
    version = store.next_version(output, kind)
    card = (
        cards.account_card(SPECS[kind], result.metadata, version)
        if kind in SPECS
        else jobs.job_card(result.metadata, version)
    )
    saved = store.save(
        directory=output,
        kind=kind,
        version=version,
        estimator=result.estimator,
        metadata=result.metadata,
        card=card,
    )
    console.print(f"saved {saved} (model card: {saved.with_suffix('.md')})")


@app.command("evaluate")
@friendly_errors
def evaluate_command(
    kind: str = typer.Argument(..., help=KIND_HELP),
    data: Path = typer.Option(..., exists=True, dir_okay=False, help="Labelled CSV."),
    model: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="job_offer: a model from `train` (.skops)."
    ),
) -> None:
    """Precision, recall, F1 and ROC AUC (bootstrap 95% intervals) of the shipped model (or,
    for job offers, of --model or the indicator catalogue) on a labelled file in the
    training file's columns."""
    from tipnet.detect import batch

    report, rejected, name = batch.evaluate_file(kind, data, model=model)
    console.print(f"{name} on {data.name}: {report.items} rows ({report.positives} positive)")
    table = Table("metric", "value [95% interval]")
    for metric, estimate in report.metrics.items():
        table.add_row(metric, str(estimate))
    console.print(table)
    if rejected:
        errors.print(f"{rejected} rows rejected (bad label or fields)")


@app.command("score")
@friendly_errors
def score_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL, CSV or Parquet."),
    output: Path | None = typer.Option(None, help="Where results go (default: FILE.scores.jsonl)."),
    file_format: str | None = typer.Option(None, "--format", help="csv, jsonl or parquet."),
    job_model: Path | None = typer.Option(
        None, exists=True, dir_okay=False, help="A job_offer model from `train` (.skops)."
    ),
) -> None:
    """Score every row: texts (a 'text' field, optional 'content_kind'), accounts (the columns
    of an account model) or job offers (EMSCAD columns); 'kind' names it explicitly. Each row
    gives one JSON line with its score and explanation, or the reason it was rejected."""
    from tipnet.detect import batch

    destination = output or file.with_name(file.name + ".scores.jsonl")
    total = batch.count_rows(file, file_format)
    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("rows", total=total)
        summary = batch.score_file(
            file,
            destination,
            file_format=file_format,
            job_model=job_model,
            on_rows=lambda done: progress.update(task, completed=done),
        )
    console.print(f"scored {summary.scored}, rejected {summary.rejected}; results in {destination}")
    if summary.rejected:
        raise typer.Exit(2)


def _print_training(kind: str, result: object) -> None:
    from tipnet.detect.training import Training

    assert isinstance(result, Training)
    console.print(
        f"{kind}: {result.rows} rows, {len(result.rejected)} rejected, "
        f"{result.seconds:.1f} s; {result.metadata['evaluation']}"
    )
    table = Table("metric", "this model", "plain gradient boosting (baseline)")
    for metric, estimate in result.ours.metrics.items():
        base = result.baseline.metrics[metric] if result.baseline else None
        table.add_row(metric, str(estimate), str(base) if base else "-")
    console.print(table)
    if result.f1_gain is not None:
        console.print(f"F1 gain over the baseline (paired bootstrap): {result.f1_gain}")
    for bad in result.rejected[:5]:
        errors.print(f"line {bad.line}: {escape(bad.reason)}")  # may quote the file: not markup
