"""`tipnet simulate` and `tipnet exercise`: synthetic scenarios and graded training exercises."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tipnet.cli.common import console, friendly_errors, print_json
from tipnet.errors import InvalidInput
from tipnet.simulate.params import ScenarioParams, parse_languages

# The generator's heavy modules (NumPy, Pillow, PDQ, Arrow) load when a command runs, so that
# other tipnet commands start fast.
FORMATS = ("jsonl", "parquet")
LEVELS = ("basic", "intermediate", "advanced")

exercise_app = typer.Typer(
    help="Training exercises on generated cases: make one, then grade a trainee's answers.",
    no_args_is_help=True,
)


@friendly_errors
def simulate(
    out: Path = typer.Option(..., "--out", help="Directory to write into (new or empty)."),
    seed: int = typer.Option(7, help="Same seed, same bytes; another seed, another scenario."),
    scale: int = typer.Option(
        10_000, help="Ads, job offers, profiles and messages to write (reports come on top)."
    ),
    file_format: str = typer.Option(
        "jsonl", "--format", help=f"Output format: {' or '.join(FORMATS)}."
    ),
    images: bool = typer.Option(
        False, "--images/--no-images", help="Also write the image files (hashes always)."
    ),
    bad_share: float = typer.Option(
        0.05, help="Share of items posted by trafficking networks (0 to 0.5)."
    ),
    variation: float = typer.Option(
        0.5,
        help="How much posters vary their templates and photos: paraphrase, reordering, "
        "typos, emoji, edited copies (0 = identical copies, 1 = every item reworded).",
    ),
    phone_rotation: float = typer.Option(
        0.5,
        help="How often networks switch burner phones and accounts (0 = one per network and "
        "country, 0.5 = a new one about every 24 days, 1 = about every 12).",
    ),
    obfuscation: float = typer.Option(
        0.4,
        help="Share of trafficking items whose phone is written to dodge filters (words, "
        "spacing, letters for digits, emoji). Benign posters do it less.",
    ),
    difficulty: float = typer.Option(
        0.5,
        help="Overlap between trafficking and benign items: how alike their indicators are, "
        "how often photos are mirrored, heavily cropped or stolen (0 = textbook, 1 = hard).",
    ),
    languages: str = typer.Option(
        "en,es,fr,pt", help="Languages items are written in, comma-separated (en, es, fr, pt)."
    ),
    report_rate: float = typer.Option(
        0.2,
        help="Share of trafficking items platforms report (benign ones: a twentieth of it).",
    ),
    days: int = typer.Option(180, help="Days the scenario spans."),
    end: str = typer.Option("2026-06-30", help="Last day of the scenario (YYYY-MM-DD, past)."),
    workers: int | None = typer.Option(
        None, min=1, help="Processes to use (default: all cores for large runs)."
    ),
) -> None:
    """Write a synthetic online ecosystem with its ground truth into OUT.

    Trafficking networks follow the real origin-to-destination flows and forms of exploitation
    of UNODC GLOTIP; they post exploitative ads, fraudulent job offers, fake profiles and
    scripted messages, among a benign majority with hard look-alikes. Files: ads, job_offers,
    profiles, messages, reports (report API format), images (hashes), and the truth:
    truth.json, truth_items, truth_images.
    """
    try:
        last_day = dt.date.fromisoformat(end)
    except ValueError as error:
        raise InvalidInput(f"--end must be a date like 2026-06-30, not {end!r}") from error
    from tipnet.simulate.generate import generate

    params = ScenarioParams(
        seed=seed,
        scale=scale,
        bad_share=bad_share,
        variation=variation,
        phone_rotation=phone_rotation,
        obfuscation=obfuscation,
        difficulty=difficulty,
        languages=parse_languages(languages),
        report_rate=report_rate,
        days=days,
        end=last_day,
    )
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        auto_refresh=False,  # no refresh thread: worker processes are forked from this one
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)
            progress.refresh()

        result = generate(
            params,
            out,
            file_format=file_format,
            write_images=images,
            workers=workers,
            progress=report,
        )
    counts = ", ".join(
        f"{n:,} {name}" for name, n in result.counts.items() if name != "truth_items"
    )
    console.print(f"wrote {counts} to {out}")


@exercise_app.command("new")
@friendly_errors
def new(
    level: str = typer.Option("basic", help=f"Difficulty: {', '.join(LEVELS)}."),
    out: Path = typer.Option(..., "--out", help="Directory for the case package (new or empty)."),
    seed: int = typer.Option(7, help="Another seed gives another case at the same level."),
) -> None:
    """Write a case package for trainees: brief.md, a small scenario, questions.json and an
    answer template. The answer key is not in it; grading rebuilds it."""
    from tipnet.simulate import exercise

    exercise.new_exercise(level, out, seed=seed)
    article = "an" if level[:1] in "aeiou" else "a"
    console.print(f"wrote {article} {level} exercise to {out}; start with {out / 'brief.md'}")


@exercise_app.command("grade")
@friendly_errors
def grade(
    package: Path = typer.Argument(..., help="The exercise directory (from `exercise new`)."),
    answers: Path = typer.Argument(..., help="The trainee's answers (JSON, see brief.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the grade as JSON."),
) -> None:
    """Score answers against the truth: pairwise precision and recall of the networks found,
    precision and recall of fraudulent profiles and border-crossing networks, and what was
    missed."""
    from tipnet.simulate import grading

    result = grading.grade(package, answers)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(f"[bold]Exercise ({result.level})[/bold]")
    console.print(
        f"networks: you gave {result.networks_found}, there are {result.networks_true}\n"
        f"grouping:              precision {result.pair_precision:.0%}  "
        f"recall {result.pair_recall:.0%}  (pairs of items)\n"
        f"fraudulent profiles:   precision {result.profile_precision:.0%}  "
        f"recall {result.profile_recall:.0%}\n"
        f"cross-border networks: precision {result.transnational_precision:.0%}  "
        f"recall {result.transnational_recall:.0%}",
        highlight=False,
    )
    console.print("\n[bold]What to look at[/bold]")
    for line in result.explanations:
        console.print(f"- {escape(line)}", highlight=False)  # may quote the answers file
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
