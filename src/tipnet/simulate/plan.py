"""The whole scenario decided up front, in NumPy: which actor posts each item, of what kind, when;
which photo each item shows; which items a platform reports.

Items are numbered in time order, so an id says when an item was posted and nothing about who
posted it. Images are numbered by first use for the same reason. The per-item text is written
later, chunk by chunk (:mod:`tipnet.simulate.items`), from this plan and per-chunk seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from tipnet.simulate import actors as actors_module
from tipnet.simulate import glotip, seeds
from tipnet.simulate.actors import DAY, Actors, ActorType
from tipnet.simulate.params import ScenarioParams

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class Kind(IntEnum):
    AD = 0
    JOB = 1
    PROFILE = 2
    MESSAGE = 3


KIND_NAMES = ("ad", "job_offer", "profile", "message")
FILE_NAMES = ("ads", "job_offers", "profiles", "messages")
ID_PREFIX = ("ad", "job", "prof", "msg")
T = ActorType
# Item kinds each actor type posts: shares of (ad, job offer, profile, message).
KIND_MIX = {
    T.PERSON: (0.0, 0.0, 0.35, 0.65),
    T.ESCORT: (0.92, 0.0, 0.08, 0.0),
    T.MASSAGE: (0.95, 0.0, 0.05, 0.0),
    T.EMPLOYER: (0.0, 0.9, 0.1, 0.0),
    T.AGENCY: (0.0, 0.75, 0.05, 0.20),
    T.SPAMMER: (0.30, 0.05, 0.15, 0.50),
    T.NGO: (0.20, 0.0, 0.05, 0.75),
}
FORM_MIX = (  # networks, by form of exploitation (GLOTIP order)
    (0.62, 0.15, 0.06, 0.17),  # sexual exploitation: mostly ads
    (0.0, 0.58, 0.08, 0.34),  # forced labour: job offers and scripted messages
    (0.0, 0.40, 0.10, 0.50),  # other forms
)
# Photos per actor type: (photo sets, mean extra edited copies of each, chance an item
# shows an edited copy rather than the original)
STOCK = -1  # owner of the pool of stock pictures many unrelated posters use


@dataclass
class ImageTable:
    source: IntArray  # row of the original each row is made from (itself for an original)
    edit: IntArray  # 0 for an original, else the seed of its edits
    owner: IntArray  # actor index, or STOCK
    flat: IntArray  # 1 for flat logo-like graphics (low PDQ quality), 0 for photos
    number: IntArray  # image number (1-based) of each row, 0 if no item uses it
    used: IntArray  # rows items use, by image number


@dataclass
class Plan:
    params: ScenarioParams
    glotip: glotip.Glotip
    actors: Actors
    actor: IntArray  # per item, in time order
    kind: IntArray
    time: FloatArray  # seconds from the scenario start
    number: IntArray  # 1-based number within its kind
    report: IntArray  # 1-based report number, 0 if not reported
    report_time: FloatArray
    images: IntArray  # [item, 2] image rows, -1 for none
    persona: IntArray  # profile items: which of its actor's profiles (0-based); else -1
    profile_items: IntArray  # profile items sorted by (actor, time)
    profile_time: FloatArray  # their times
    profile_start: IntArray  # per actor: first position in profile_items
    profile_count: IntArray
    table: ImageTable

    def __len__(self) -> int:
        return len(self.actor)


def build(params: ScenarioParams) -> Plan:
    data = glotip.load(seeds.np_rng(params.seed, "glotip"))
    who = actors_module.build(params, data)
    rng = seeds.np_rng(params.seed, "plan")
    actor = np.repeat(np.arange(len(who), dtype=np.int64), who.size)
    kind = _kinds(rng, who, actor)
    span_start, span_end = who.start[actor], who.end[actor]
    u = rng.random(len(actor))
    u = np.where(kind == Kind.PROFILE, u * 0.2, u)  # accounts are made before they are used
    time = span_start + u * (span_end - span_start)
    order = np.lexsort((np.arange(len(actor)), time))
    actor, kind, time = actor[order], kind[order], time[order]
    number = np.zeros(len(actor), dtype=np.int64)
    for k in Kind:
        mask = kind == k
        number[mask] = np.arange(1, int(mask.sum()) + 1)
    report, report_time = _reports(rng, params, who, actor, time)
    persona, profile_items, profile_start, profile_count = _personas(who, actor, kind)
    table, images = _images(rng, params, who, actor, kind)
    return Plan(
        params,
        data,
        who,
        actor,
        kind,
        time,
        number,
        report,
        report_time,
        images,
        persona,
        profile_items,
        time[profile_items],
        profile_start,
        profile_count,
        table,
    )


def _kinds(rng: np.random.Generator, who: Actors, actor: IntArray) -> IntArray:
    mix = np.zeros((len(who), 4))
    for actor_type, shares in KIND_MIX.items():
        mix[who.type == actor_type] = shares
    for net in who.networks:
        mix[net.actor] = FORM_MIX[net.form]
    cumulative = np.cumsum(mix, axis=1)[actor]
    draw = rng.random(len(actor))[:, None]
    return np.asarray(np.minimum((draw > cumulative).sum(axis=1), 3), dtype=np.int64)


def _reports(
    rng: np.random.Generator, params: ScenarioParams, who: Actors, actor: IntArray, time: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Platforms report a share of trafficking items, and some benign ones by mistake, the
    hard negatives (ads, agencies, spammers) more often than ordinary users."""
    kind_of = who.type[actor]
    benign = params.report_rate / 20
    chance = np.where(kind_of == T.NETWORK, params.report_rate, benign)
    chance = np.where(kind_of == T.PERSON, benign / 2, chance)
    chance = np.where(
        np.isin(kind_of, [T.ESCORT, T.MASSAGE, T.AGENCY, T.SPAMMER]), benign * 3, chance
    )
    chance = np.where(kind_of == T.NGO, 0.0, chance)
    reported = rng.random(len(actor)) < chance
    delay = rng.exponential(2 * DAY, size=len(actor))
    report_time = np.minimum(time + delay, params.days * DAY - 1.0)
    order = np.lexsort((np.arange(len(actor)), report_time))
    number = np.zeros(len(actor), dtype=np.int64)
    chosen = order[reported[order]]
    number[chosen] = np.arange(1, len(chosen) + 1)
    return number, np.where(reported, report_time, 0.0)


def _personas(
    who: Actors, actor: IntArray, kind: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    positions = np.flatnonzero(kind == Kind.PROFILE)
    by_actor = positions[np.argsort(actor[positions], kind="stable")]  # time order kept
    count = np.bincount(actor[by_actor], minlength=len(who))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    persona = np.full(len(actor), -1, dtype=np.int64)
    persona[by_actor] = np.arange(len(by_actor)) - start[actor[by_actor]]
    return persona, by_actor, start, count


_PHOTOS = {  # per actor type: (chance of having photos, fixed sets, extra sets drawn, mean edits)
    T.NETWORK: (1.0, 2, 0, 0.0),
    T.PERSON: (0.3, 1, 0, 0.15),
    T.ESCORT: (1.0, 1, 1, 0.3),
    T.MASSAGE: (1.0, 1, 1, 0.3),
    T.EMPLOYER: (0.06, 1, 0, 0.0),
    T.AGENCY: (1.0, 1, 1, 0.0),
    T.SPAMMER: (1.0, 1, 2, 1.0),
    T.NGO: (1.0, 1, 0, 1.0),
}
_SHOWN = {  # chance an item of (actor type, kind) shows a photo: ad, job, profile, message
    T.NETWORK: (0.95, 0.3, 0.95, 0.04),
    T.PERSON: (0.0, 0.0, 1.0, 0.02),
    T.ESCORT: (0.9, 0.0, 0.9, 0.0),
    T.MASSAGE: (0.9, 0.0, 0.9, 0.0),
    T.EMPLOYER: (0.0, 0.8, 0.8, 0.0),
    T.AGENCY: (0.0, 0.8, 0.9, 0.0),
    T.SPAMMER: (0.5, 0.3, 0.9, 0.05),
    T.NGO: (0.8, 0.0, 0.9, 0.0),
}


def _images(
    rng: np.random.Generator, params: ScenarioParams, who: Actors, actor: IntArray, kind: IntArray
) -> tuple[ImageTable, IntArray]:
    v = params.variation
    n = len(who)
    photos = np.zeros(n, dtype=np.int64)
    edits_mean = np.zeros(n)
    for actor_type, (chance, fixed, extra, mean) in _PHOTOS.items():
        mask = who.type == actor_type
        has = rng.random(int(mask.sum())) < chance
        photos[mask] = has * (fixed + rng.binomial(extra, 0.3, size=int(mask.sum())))
        edits_mean[mask] = mean
    network = who.type == T.NETWORK
    photos[network] = np.clip(np.round(who.size[network] / 8), 2, 20)
    edits_mean[network] = 0.5 + 2.5 * v
    edits_mean[who.type == T.SPAMMER] = 1.0 + 2.0 * v
    edits_mean[who.type == T.ESCORT] = 0.15 + 0.35 * v
    stock = max(8, params.scale // 5000)
    # photo sets: actors' then the stock pool's
    set_owner = np.concatenate([np.repeat(np.arange(n), photos), np.full(stock, STOCK)])
    set_edits = np.concatenate([np.repeat(edits_mean, photos), np.full(stock, 1.0)])
    copies = np.minimum(rng.poisson(set_edits), 5)
    set_rows = 1 + copies
    set_first = np.concatenate([[0], np.cumsum(set_rows)[:-1]])
    rows = int(set_rows.sum())
    row_set = np.repeat(np.arange(len(set_owner)), set_rows)
    is_first = np.arange(rows) == set_first[row_set]
    source = set_first[row_set].copy()
    edit = np.where(is_first, 0, rng.integers(1, 2**62, size=rows))
    # Some networks show photos stolen from ordinary people's profiles, edited.
    person_sets = np.flatnonzero(
        (set_owner >= 0) & (who.type[np.maximum(set_owner, 0)] == T.PERSON)
    )
    network_sets = np.flatnonzero((set_owner >= 0) & network[np.maximum(set_owner, 0)])
    if len(person_sets) and len(network_sets):
        stolen = network_sets[rng.random(len(network_sets)) < 0.35 * params.difficulty]
        victim_rows = set_first[rng.choice(person_sets, size=len(stolen))]
        for stolen_set, original in zip(stolen, victim_rows, strict=True):
            first = set_first[stolen_set]
            source[first : first + set_rows[stolen_set]] = original
            edit[first] = rng.integers(1, 2**62)
    owner = set_owner[row_set]
    owner_type = np.where(owner >= 0, who.type[np.maximum(owner, 0)], -1)
    flat = np.isin(owner_type[source], [T.AGENCY, T.EMPLOYER]).astype(np.int64)

    # Which photo each item shows.
    items = len(actor)
    types = who.type[actor]
    shown = np.zeros((len(T), 4))
    for actor_type, chances in _SHOWN.items():
        shown[actor_type] = chances
    wants = rng.random(items) < shown[types, kind]
    second = (
        wants & (kind == Kind.AD) & (rng.random(items) < np.where(types == T.NETWORK, 0.4, 0.3))
    )
    set_start = np.concatenate([[0], np.cumsum(photos)[:-1]])
    stock_user = (types == T.PERSON) & (photos[actor] == 0) & (rng.random(items) < 0.35)
    edit_chance = np.where(np.isin(types, [T.NETWORK, T.SPAMMER]), 0.2 + 0.6 * v, 0.1 + 0.3 * v)
    picks = np.full((items, 2), -1, dtype=np.int64)
    for column, mask in ((0, wants), (1, second)):
        own = mask & (photos[actor] > 0)
        chosen = set_start[actor] + np.floor(rng.random(items) * photos[actor]).astype(np.int64)
        pool = len(set_owner) - stock + rng.integers(0, stock, size=items)
        chosen = np.where(stock_user & mask & (column == 0), pool, chosen)
        ok = own | (stock_user & mask & (column == 0))
        chosen = np.where(ok, chosen, 0)
        variant = (rng.random(items) < edit_chance) & (copies[chosen] > 0)
        offset = np.where(variant, 1 + np.floor(rng.random(items) * copies[chosen]), 0)
        picks[:, column] = np.where(ok, set_first[chosen] + offset.astype(np.int64), -1)
    picks[:, 1] = np.where(picks[:, 1] == picks[:, 0], -1, picks[:, 1])
    flat_picks = picks.ravel()
    seen = flat_picks >= 0
    used_rows, first_use = np.unique(flat_picks[seen], return_index=True)
    used = used_rows[np.argsort(first_use, kind="stable")]
    number = np.zeros(rows, dtype=np.int64)
    number[used] = np.arange(1, len(used) + 1)
    return ImageTable(source, edit, owner, flat, number, used), picks
