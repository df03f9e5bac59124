"""One chunk of items written out: ads, job offers, profiles, messages, the reports filed about
some of them, and the ground truth of each. Runs in any process: it needs the plan, the image
hashes and the chunk number, nothing else."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import numpy as np
import numpy.typing as npt

from tipnet.simulate import reports, seeds
from tipnet.simulate.actors import ActorType
from tipnet.simulate.item import Place
from tipnet.simulate.kinds import Writing
from tipnet.simulate.lexicon import lexicon
from tipnet.simulate.plan import FILE_NAMES, ID_PREFIX, KIND_NAMES, Kind, Plan
from tipnet.simulate.style import Style, Styles, language_of
from tipnet.simulate.world import Country, countries

A = ActorType
Record = dict[str, Any]


@dataclass
class Chunk:
    records: dict[str, list[Record]] = field(default_factory=dict)
    truth: list[Record] = field(default_factory=list)


class ItemWriter:
    """Writes chunks of one plan; ``files[n - 1]`` describes image number ``n`` (sha256, md5,
    pdq, pdq_quality, media_type)."""

    def __init__(self, plan: Plan, files: list[Record]) -> None:
        self.plan = plan
        self.params = plan.params
        self.styles = Styles(plan)
        self.files = files
        self.epoch = self.params.start.timestamp()
        self.width = max(7, len(str(self.params.scale)))
        self._corridors: dict[int, tuple[list[int], list[float]]] = {}
        self._image_number: list[int] = plan.table.number.tolist()

    def chunk(self, index: int, start: int, stop: int) -> Chunk:
        plan = self.plan
        rng = seeds.py_rng(self.params.seed, "chunk", index)
        out = Chunk({name: [] for name in (*FILE_NAMES, "reports")})
        kinds = plan.kind[start:stop].tolist()
        numbers = plan.number[start:stop].tolist()
        ids = [f"{ID_PREFIX[k]}-{n:0{self.width}d}" for k, n in zip(kinds, numbers, strict=True)]
        columns = zip(
            range(start, stop),
            kinds,
            plan.actor[start:stop].tolist(),
            plan.time[start:stop].tolist(),
            ids,
            self._stamps(plan.time[start:stop]),
            plan.images[start:stop].tolist(),
            plan.report[start:stop].tolist(),
            strict=True,
        )
        records = out.records
        for position, kind, actor, t, item_id, stamp, rows, report_number in columns:
            st = self.styles.get(actor)
            record, truth = self._item(position, Kind(kind), st, t, item_id, stamp, rows, rng)
            records[FILE_NAMES[kind]].append(record)
            out.truth.append(truth)
            if report_number:
                files = [_file_hash(self.files[self._number(i) - 1]) for i in record["images"]]
                body = reports.body(record, st, report_number, self.params.seed, files, rng)
                records["reports"].append(body)
                out.truth.append(reports.truth(body, truth))
        return out

    def _stamps(self, seconds: npt.NDArray[np.float64]) -> list[str]:
        """ISO 8601 UTC times, to the second (truncated, as time.gmtime does)."""
        whole = np.floor(self.epoch + seconds).astype("datetime64[s]")
        return [text + "Z" for text in np.datetime_as_string(whole, unit="s").tolist()]

    def stamp(self, seconds: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.epoch + seconds))

    def item_id(self, position: int) -> str:
        kind = int(self.plan.kind[position])
        return f"{ID_PREFIX[kind]}-{int(self.plan.number[position]):0{self.width}d}"

    # --- one item ----------------------------------------------------------------------------

    def _item(
        self,
        position: int,
        kind: Kind,
        st: Style,
        t: float,
        item_id: str,
        stamp: str,
        rows: list[int],
        rng: random.Random,
    ) -> tuple[Record, Record]:
        place = self._place(st, kind, t, rng)
        language = language_of(place.country, self.params.languages, rng)
        lex = lexicon(language)
        item = Writing(self, position, st, place, language, lex, t, rng)
        item.item_id = item_id
        record: Record = {"item_id": item_id, "kind": KIND_NAMES[kind], "time": stamp}
        if kind is Kind.AD:
            record |= item.ad()
        elif kind is Kind.JOB:
            record |= item.job()
        elif kind is Kind.PROFILE:
            record |= item.profile()
        else:
            record |= item.message()
        record["images"], record["image_pdq"] = self._images(rows)
        item.settle(record)
        truth = {
            "item_id": record["item_id"],
            "kind": record["kind"],
            "subject": None,
            "group": st.group,
            "network": st.group if st.bad else None,
            "trafficking": st.bad,
            "phones": item.phones,
            "obfuscated": item.obfuscation is not None,
            "obfuscation": item.obfuscation,
            "indicators": sorted(item.indicators),
        }
        return record, truth

    def _images(self, rows: list[int]) -> tuple[list[str], list[str]]:
        ids: list[str] = []
        hashes: list[str] = []
        for row in rows:
            if row >= 0:
                number = self._image_number[row]
                ids.append(image_id(number, self.width))
                hashes.append(self.files[number - 1]["pdq"])
        return ids, hashes

    @staticmethod
    def _number(image: str) -> int:
        return int(image.rsplit("-", 1)[1])

    def _place(self, st: Style, kind: Kind, t: float, rng: random.Random) -> Place:
        world = countries()
        if st.network is not None:
            net = st.network
            exploitation = [s for s in net.stops if s.activity == "exploitation"]
            job = next((s for s in exploitation if s.start <= t < s.end), exploitation[0])
            here = job if kind is Kind.AD else net.stops[0]
            country, job_country = world[here.country], world[job.country]
            return Place(
                country, country.cities[here.city], job_country, job_country.cities[job.city]
            )
        country = st.country
        home = int(self.plan.actors.city[st.actor])
        moving = st.type is A.SPAMMER or rng.random() < 0.15
        city = country.cities[rng.randrange(len(country.cities)) if moving else home]
        job_country, job_city = country, city
        if st.type is A.AGENCY:
            job_country = self._abroad(st, rng)
            job_city = rng.choice(job_country.cities)
        return Place(country, city, job_country, job_city)

    def _abroad(self, st: Style, rng: random.Random) -> Country:
        """Where a legitimate agency places workers: the same corridors GLOTIP's flows follow."""
        origin = st.country.index
        if origin not in self._corridors:
            data = self.plan.glotip
            mask = (data.origin == origin) & (data.destination != origin)
            if not mask.any():
                mask = data.destination != origin
            targets = [int(d) for d in data.destination[mask]]
            weights = list(accumulate(float(w) for w in data.flow[mask]))
            self._corridors[origin] = (targets, weights)
        targets, cumulative = self._corridors[origin]
        return countries()[rng.choices(targets, cum_weights=cumulative)[0]]


def _file_hash(image: Record) -> Record:
    """An image as a report carries it: its hashes, never its content."""
    keys = ("sha256", "md5", "pdq", "pdq_quality", "media_type")
    return {key: image[key] for key in keys}


def image_id(number: int, width: int) -> str:
    return f"img-{number:0{width}d}"
