"""Training exercises (resolution clause 2(c)): a small generated case for trainees, its brief and
questions, and no answer key: grading regenerates the truth from ``exercise.json``."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tipnet import validation
from tipnet.errors import InvalidInput
from tipnet.interop import csvsafe
from tipnet.simulate.generate import generate
from tipnet.simulate.lexicon import LANGUAGES
from tipnet.simulate.output import read_records
from tipnet.simulate.params import ScenarioParams

FORMAT = "tipnet-exercise/1"
TRUTH_FILES = ("truth.json", "truth_items.jsonl", "truth_images.jsonl")
DATA_FILES = ("ads", "job_offers", "profiles", "messages", "reports", "images")


@dataclass(frozen=True)
class Level:
    name: str
    summary: str
    knobs: dict[str, Any]


LEVELS = {
    "basic": Level(
        "basic",
        "about 400 items in English; networks reuse one phone each and write it plainly",
        {
            "scale": 400,
            "bad_share": 0.10,
            "variation": 0.15,
            "phone_rotation": 0.0,
            "obfuscation": 0.1,
            "difficulty": 0.1,
            "languages": ("en",),
            "report_rate": 0.3,
            "days": 60,
        },
    ),
    "intermediate": Level(
        "intermediate",
        "about 1,500 items in English and Spanish; some phones rotate or are spelled out",
        {
            "scale": 1500,
            "bad_share": 0.07,
            "variation": 0.4,
            "phone_rotation": 0.4,
            "obfuscation": 0.3,
            "difficulty": 0.4,
            "languages": ("en", "es"),
            "report_rate": 0.25,
            "days": 120,
        },
    ),
    "advanced": Level(
        "advanced",
        "about 5,000 items in four languages; burner phones rotate, photos are edited and "
        "stolen, benign look-alikes abound",
        {
            "scale": 5000,
            "bad_share": 0.05,
            "variation": 0.7,
            "phone_rotation": 0.8,
            "obfuscation": 0.5,
            "difficulty": 0.7,
            "languages": LANGUAGES,
            "report_rate": 0.2,
            "days": 180,
        },
    ),
}


def params_for(level: str, seed: int) -> ScenarioParams:
    if level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return ScenarioParams(seed=seed, **LEVELS[level].knobs)


def new_exercise(level: str, out: Path, *, seed: int = 7) -> Path:
    """Write a case package into ``out``: brief.md, questions.json, answers.template.json,
    exercise.json and scenario/ (the items, without the truth)."""
    params = params_for(level, seed)
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"{out} is not empty; give a new or empty directory")
    out.mkdir(parents=True, exist_ok=True)
    scenario = out / "scenario"
    generate(params, scenario, workers=1)
    for name in TRUTH_FILES:
        (scenario / name).unlink()
    (scenario / "scenario.json").unlink()
    _items_csv(scenario)
    files = {path.relative_to(out).as_posix(): _sha256(path) for path in sorted(scenario.iterdir())}
    manifest = {"format": FORMAT, "level": level, "seed": seed, "files": files}
    (out / "exercise.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (out / "questions.json").write_text(json.dumps(QUESTIONS, indent=1) + "\n", encoding="utf-8")
    template = {
        "networks": [{"items": [], "transnational": False, "countries": []}],
        "fraudulent_profiles": [],
    }
    (out / "answers.template.json").write_text(json.dumps(template, indent=1) + "\n", "utf-8")
    (out / "brief.md").write_text(brief(level), encoding="utf-8")
    return out


def regenerate(out: Path, work: Path) -> tuple[ScenarioParams, Path, list[str]]:
    """Rebuild an exercise's scenario with its truth into ``work``; also say which package files
    differ from what the generator makes (edited files, or another generator version)."""
    level, seed, files = read_manifest(out)
    params = params_for(level, seed)
    if work.exists():
        shutil.rmtree(work)
    generate(params, work, workers=1)
    _items_csv(work)
    changed = [
        name
        for name, digest in files.items()
        if not (out / name).is_file()
        or _sha256(out / name) != digest
        or _sha256(work / Path(name).name) != digest
    ]
    return params, work, changed


def read_manifest(out: Path) -> tuple[str, int, dict[str, str]]:
    """The level, seed and file digests of an exercise package, checked field by field: the
    package is in the trainee's hands, and a value of the wrong type (a level that is an
    object, an infinite seed) used to crash the grader instead of saying what is wrong."""
    path = out / "exercise.json"
    if not path.is_file():
        raise InvalidInput(f"{out} is not an exercise package: it has no exercise.json")
    try:
        manifest = validation.loads(path.read_bytes())
    except InvalidInput as error:
        raise InvalidInput(f"{path} is damaged ({error.message}); make a new exercise") from None
    problem = _manifest_problem(manifest)
    if problem:
        raise InvalidInput(f"{path} is damaged ({problem}); make a new exercise")
    return manifest["level"], manifest["seed"], manifest["files"]


def _manifest_problem(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return "not a JSON object"
    missing = [key for key in ("level", "seed", "files") if key not in manifest]
    if missing:
        return f"no {', '.join(missing)}"
    if not isinstance(manifest["level"], str):
        return "level is not a text"
    seed = manifest["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool):
        return "seed is not a whole number"
    files = manifest["files"]
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return "files is not an object of file names and digests"
    if any(not _package_name(name) for name in files):
        return "files names a file outside the package"
    return None


def _package_name(name: str) -> bool:
    """A relative path inside the package, as new_exercise writes them."""
    parts = name.split("/")
    return (
        "\x00" not in name and not name.startswith("/") and all(p not in ("", "..") for p in parts)
    )


def _items_csv(scenario: Path) -> None:
    """Every item in one sheet, for trainees who work in a spreadsheet."""
    columns = (
        "item_id",
        "kind",
        "time",
        "platform",
        "country",
        "city",
        "language",
        "poster",
        "sender",
        "recipient",
        "handle",
        "display_name",
        "phone",
        "contact_phone",
        "email",
        "contact_email",
        "text",
        "image_pdq",
    )
    with (scenario / "items.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csvsafe.writer(handle)  # trainees open it in spreadsheets
        writer.writerow(columns)
        for name in ("ads", "job_offers", "profiles", "messages"):
            for record in read_records(scenario / f"{name}.jsonl"):
                record["text"] = record.get("text") or record.get("bio")
                record["image_pdq"] = " ".join(record.get("image_pdq") or [])
                writer.writerow(["" if record.get(c) is None else record[c] for c in columns])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


QUESTIONS = [
    {
        "id": "networks",
        "question": "Which items belong together? Group the ads, job offers, profiles, messages "
        "and reports that you believe one trafficking network posted. Leave benign items out.",
        "answer": "networks[].items: a list of item ids (and report ids) per network",
    },
    {
        "id": "transnational",
        "question": "Which of your networks cross borders, and through which countries?",
        "answer": "networks[].transnational (true/false) and networks[].countries "
        "(ISO 3166 alpha-3 codes)",
    },
    {
        "id": "fraudulent_profiles",
        "question": "Which profiles are fraudulent: fake personas used to lure people?",
        "answer": "fraudulent_profiles: a list of profile ids (prof-...)",
    },
]


def brief(level: str) -> str:
    info = LEVELS[level]
    return f"""# Training exercise ({level}): online recruitment and exploitation

A platform trust-and-safety team has shared an extract of public posts with your unit:
{info.summary}. Somewhere in it, one or more trafficking networks recruit people with fake
job offers and scripted messages, and advertise the people they exploit. Most of the material is
benign: independent adult advertisers, massage businesses, licensed recruitment agencies,
spammers, helplines and ordinary users. Everything is synthetic: no real person, number or
site appears in it.

## What is in the package

- `scenario/ads.jsonl`, `job_offers.jsonl`, `profiles.jsonl`, `messages.jsonl`: one item per
  line (JSON). `scenario/items.csv` has all of them in one sheet.
- `scenario/reports.jsonl`: reports the platforms filed, in the intake format of tipnet's report
  API (`reporter.report_id` is the report's id).
- `scenario/images.jsonl`: the images' hashes (PDQ, SHA-256, MD5). Two PDQ hashes within
  Hamming distance 31 show the same picture; ignore hashes of quality below 50.
- `questions.json`: the questions; `answers.template.json`: the shape of your answer.

## Your tasks

1. **Networks.** Group the items that one network posted. Look for what posters cannot easily
   change: phone numbers (often written to dodge filters: "six one two, 3 4 5...", letters for
   digits, emoji), accounts, e-mail addresses, reused photos (near PDQ hashes), and templates
   reworded with small changes. Beware of hubs: a helpline or a shared switchboard number
   appears in many unrelated posts; an agency's logo is on all its offers.
2. **Borders.** Say which of your networks operate in more than one country, and which.
3. **Fraudulent profiles.** List the profiles that are fake personas used to lure people.

## Signs that matter (and one that does not)

- Ads: trustworthiness claims ("100% real"), obscured phone numbers, youth language and emoji
  codes, stated ethnicity were more common in trafficking ads in a National Institute of Justice
  study of 1,263 ads with known outcomes. "New in town" was *less* common: do not count it.
- Job offers: fees paid by the worker, the employer keeping passports, pay far above the going
  rate for unskilled work abroad, contact only through messaging apps. Visa sponsorship and paid
  travel alone are not enough: licensed agencies offer them too.
- Profiles and messages: new accounts that follow many and are followed by few, a scout or
  romance story, pressure to move to WhatsApp or Telegram, requests for passport copies, photos
  or money.

## How to answer

Write a JSON file like `answers.template.json`:

```json
{{
  "networks": [
    {{"items": ["ad-0000012", "msg-0000340", "sim7-rep-0000003"],
      "transnational": true, "countries": ["ROU", "ITA"]}}
  ],
  "fraudulent_profiles": ["prof-0000101"]
}}
```

- `networks`: one object per network you found. `items` (required): at least two item ids or
  report ids, each in one network only. `transnational` (optional, default false) and
  `countries` (optional, ISO 3166 alpha-3 codes).
- `fraudulent_profiles` (required, may be empty): profile ids.

Then run `tipnet exercise grade <this folder> answers.json`. You get pairwise precision and
recall of your grouping (of all pairs of items you put together, how many belong together; of
all pairs that belong together, how many you found), precision and recall of the fraudulent
profiles and of the border-crossing networks, and what you missed, in plain words.
"""
