"""Grade a trainee's answer against the truth of an exercise, and say what was missed."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tipnet import validation
from tipnet.countries import validate_alpha3
from tipnet.errors import InvalidInput
from tipnet.simulate import exercise
from tipnet.simulate.metrics import pairwise, precision_recall
from tipnet.simulate.output import read_records

KIND_WORDS = {
    "ad": "ad",
    "job_offer": "job offer",
    "profile": "profile",
    "message": "message",
    "report": "report",
}
FORM_WORDS = {
    "sexual_exploitation": "sexual exploitation",
    "forced_labour": "forced labour",
    "other": "other forms of exploitation",
}


class AnsweredNetwork(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[str] = Field(min_length=2)
    transnational: bool = False
    countries: list[str] = Field(default_factory=list)

    @field_validator("countries")
    @classmethod
    def _alpha3(cls, value: list[str]) -> list[str]:
        return [validate_alpha3(code) for code in value]


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    networks: list[AnsweredNetwork]
    fraudulent_profiles: list[str]


@dataclass
class Grade:
    level: str
    pair_precision: float
    pair_recall: float
    networks_true: int
    networks_found: int
    profile_precision: float
    profile_recall: float
    transnational_precision: float
    transnational_recall: float
    explanations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def load_answers(path: Path) -> Answers:
    """The trainee's answers, or an error that says what to fix."""
    try:
        data = validation.loads(path.read_bytes())  # too deep is refused, not a RecursionError
    except FileNotFoundError as error:
        raise InvalidInput(f"no answers file at {path}") from error
    except InvalidInput as error:
        raise InvalidInput(f"{path} is not usable: {error.message}") from None
    try:
        answers = Answers.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'top level'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidInput(
            f"{path} does not follow the answer format (see brief.md): {problems}"
        ) from error
    seen: dict[str, int] = {}
    for index, network in enumerate(answers.networks):
        for item in network.items:
            if item in seen and seen[item] != index:
                raise InvalidInput(
                    f"{item} is in networks[{seen[item]}] and networks[{index}]; "
                    "put each item in one network only"
                )
            seen[item] = index
    return answers


def grade(package: Path, answers_path: Path) -> Grade:
    answers = load_answers(answers_path)
    with tempfile.TemporaryDirectory(prefix="tipnet-grade-") as tmp:
        params, work, changed = exercise.regenerate(package, Path(tmp) / "scenario")
        truth = json.loads((work / "truth.json").read_text("utf-8"))
        items = {row["item_id"]: row for row in read_records(work / "truth_items.jsonl")}
        level = exercise.read_manifest(package)[0]
    warnings = []
    if changed:
        warnings.append(
            "these package files differ from the exercise as generated, so the grade may not "
            f"match what you saw: {', '.join(changed)}"
        )
    unknown = sorted(
        {i for n in answers.networks for i in n.items if i not in items}
        | {p for p in answers.fraudulent_profiles if p not in items}
    )
    if unknown:
        raise InvalidInput(
            f"{len(unknown)} ids in the answers are not in this exercise, e.g. "
            f"{', '.join(unknown[:5])}"
        )
    true_groups = {net["id"]: net["items"] for net in truth["networks"]}
    found_groups = {f"your network {i + 1}": n.items for i, n in enumerate(answers.networks)}
    pair_precision, pair_recall = pairwise(found_groups, true_groups)
    fraud = set(truth["fraudulent_profiles"])
    profile_precision, profile_recall = precision_recall(set(answers.fraudulent_profiles), fraud)
    match = _best_matches(found_groups, items)
    crossing = {net["id"] for net in truth["networks"] if net["transnational"]}
    said_crossing = {
        network
        for name, net in zip(found_groups, answers.networks, strict=True)
        if net.transnational and (network := match.get(name)) is not None
    }
    t_precision, t_recall = precision_recall(said_crossing, crossing)
    explanations = _explain(truth, items, found_groups, answers, match)
    return Grade(
        level,
        pair_precision,
        pair_recall,
        len(true_groups),
        len(found_groups),
        profile_precision,
        profile_recall,
        t_precision,
        t_recall,
        explanations,
        warnings,
    )


def _best_matches(found: dict[str, list[str]], items: dict[str, Any]) -> dict[str, str | None]:
    """For each answered group, the true network most of its items belong to (None if most
    are benign)."""
    best: dict[str, str | None] = {}
    for name, members in found.items():
        votes = Counter(items[i]["network"] for i in members)
        best[name] = votes.most_common(1)[0][0]
    return best


def _explain(
    truth: dict[str, Any],
    items: dict[str, Any],
    found: dict[str, list[str]],
    answers: Answers,
    match: dict[str, str | None],
) -> list[str]:
    lines: list[str] = []
    placed = {item: name for name, members in found.items() for item in members}
    for net in truth["networks"]:
        members = net["items"]
        groups = Counter(placed.get(i) for i in members)
        caught = sum(n for g, n in groups.items() if g is not None)
        route = " -> ".join(dict.fromkeys(stop["country"] for stop in net["route"]))
        kinds = Counter(items[i]["kind"] for i in members)
        what = ", ".join(plural(n, KIND_WORDS[k]) for k, n in kinds.most_common())
        head = f"{net['id']} ({FORM_WORDS[net['form']]}, {route}; {what})"
        if caught == 0:
            lines.append(f"You missed {head} entirely. {_clues(net, items)}")
        elif caught < len(members) or len([g for g in groups if g]) > 1:
            parts = [n for g, n in groups.most_common() if g is not None]
            split = f" split across {len(parts)} of your networks" if len(parts) > 1 else ""
            lines.append(
                f"You found {caught} of the {len(members)} items of {head}{split}. "
                f"{_clues(net, items)}"
            )
    for name, members in found.items():
        benign = [i for i in members if not items[i]["trafficking"]]
        if benign:
            owners = Counter(items[i]["group"] for i in benign)
            who = ", ".join(f"{_describe(g)} ({n})" for g, n in owners.most_common(3))
            lines.append(
                f"{name.capitalize()} includes {len(benign)} benign items: {who}. Shared "
                "templates, helplines, switchboards or stock photos are not links by themselves."
            )
        networks = {items[i]["network"] for i in members} - {None}
        if len(networks) > 1:
            lines.append(
                f"{name.capitalize()} merges {len(networks)} different networks: "
                f"{', '.join(sorted(n for n in networks if n))}."
            )
    fraud = set(truth["fraudulent_profiles"])
    given = set(answers.fraudulent_profiles)
    missed = sorted(fraud - given)
    if missed:
        lines.append(
            f"You missed {len(missed)} fraudulent profiles ({', '.join(missed[:5])}"
            f"{', ...' if len(missed) > 5 else ''}): fake scout or romance personas of "
            "networks, new accounts following many, pushing talks to WhatsApp or Telegram."
        )
    wrong = sorted(given - fraud)
    if wrong:
        lines.append(
            f"{len(wrong)} profiles you flagged are genuine ({', '.join(wrong[:5])}): "
            "ordinary users, businesses or agencies."
        )
    if not lines:
        lines.append("Nothing missed: every network found whole, no benign item included.")
    return lines


def _clues(net: dict[str, Any], items: dict[str, Any]) -> str:
    phones = Counter(p for i in net["items"] for p in items[i]["phones"])
    obscured = sum(1 for i in net["items"] if items[i]["obfuscated"])
    clues = []
    if phones:
        top = ", ".join(p for p, _ in phones.most_common(3))
        clues.append(f"its items share phone numbers such as {top}")
    if obscured:
        verb = "writes" if obscured == 1 else "write"
        clues.append(f"{plural(obscured, 'item')} {verb} the number to dodge filters")
    per_country = Counter(p["country"] for p in net["phones"])
    if any(n > 1 for n in per_country.values()):
        clues.append(
            f"it switched burner phones over time ({plural(len(net['phones']), 'phone')} in "
            f"{plural(len(per_country), 'country', 'countries')})"
        )
    elif len(per_country) > 1:
        clues.append(f"it used one phone in each of its {len(per_country)} countries")
    if net["fraudulent_profiles"]:
        clues.append(f"it ran {plural(len(net['fraudulent_profiles']), 'fake profile')}")
    return ("Clues: " + "; ".join(clues) + ".") if clues else ""


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def _describe(group: str) -> str:
    kind = group.split("-")[0]
    words = {
        "escort": "an independent adult advertiser",
        "massage": "a massage business",
        "agency": "a licensed recruitment agency",
        "spammer": "a spammer",
        "ngo": "a helpline",
        "employer": "a local employer",
        "person": "an ordinary user",
    }
    return f"{words.get(kind, kind)} {group}"
