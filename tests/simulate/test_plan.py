"""Plans at scale (no text written): network sizes, GLOTIP flows and forms, item mix."""

from __future__ import annotations

import numpy as np
import pytest

from tipnet.simulate import glotip, plan
from tipnet.simulate.actors import ActorType
from tipnet.simulate.glotip import FORMS
from tipnet.simulate.params import ScenarioParams


@pytest.fixture(scope="module")
def big() -> plan.Plan:
    return plan.build(ScenarioParams(seed=5, scale=400_000))


def test_network_sizes_are_heavy_tailed(big: plan.Plan) -> None:
    sizes = np.sort(np.array([net.size for net in big.actors.networks]))[::-1]
    assert len(sizes) > 500
    assert sizes.sum() == round(big.params.scale * big.params.bad_share)
    top_tenth = sizes[: len(sizes) // 10].sum() / sizes.sum()
    assert top_tenth > 0.4  # a few big networks post much of it
    assert sizes[0] >= 20 * np.median(sizes)
    # Pareto tail: the share of networks above size s falls roughly as a power of s.
    above = [float((sizes >= s).mean()) for s in (5, 10, 20, 40)]
    assert all(a > b for a, b in zip(above, above[1:], strict=False))
    slope = np.polyfit(np.log([5, 10, 20, 40]), np.log(above), 1)[0]
    assert -2.0 < slope < -0.8


def test_routes_follow_the_glotip_flows(big: plan.Plan) -> None:
    data = big.glotip
    size = int(max(data.origin.max(), data.destination.max())) + 1
    real = glotip.flow_matrix(data, size)
    generated = np.zeros_like(real)
    for net in big.actors.networks:
        generated[net.origin, net.destinations[0]] += 1
    top = np.argsort(real.ravel())[::-1][:40]  # the 40 biggest corridors
    correlation = np.corrcoef(real.ravel()[top], generated.ravel()[top])[0, 1]
    assert correlation > 0.9
    domestic_real = np.trace(real) / real.sum()
    domestic_generated = np.trace(generated) / generated.sum()
    assert domestic_generated == pytest.approx(domestic_real, abs=0.06)


def test_forms_of_exploitation_follow_glotip(big: plan.Plan) -> None:
    real = big.glotip.global_form_shares()
    forms = np.bincount([net.form for net in big.actors.networks], minlength=len(FORMS))
    generated = forms / forms.sum()
    assert generated == pytest.approx(real, abs=0.08)
    assert generated[FORMS.index("sexual_exploitation")] > 0.2
    assert generated[FORMS.index("forced_labour")] > 0.2


def test_victims_follow_the_glotip_sex_and_age_mix(big: plan.Plan) -> None:
    sexual = [v for n in big.actors.networks if n.form == 0 for v in n.victims]
    female = sum(sex == "female" for sex, _ in sexual) / len(sexual)
    real = big.glotip.victim_mix(0)
    assert female == pytest.approx(real[0].sum(), abs=0.06)


def test_item_kinds_and_actor_types(big: plan.Plan) -> None:
    kinds = np.bincount(big.kind, minlength=4) / len(big)
    assert all(share > 0.1 for share in kinds)
    types = set(big.actors.type.tolist())
    assert types == set(ActorType)


def test_items_are_in_time_order_and_ids_say_nothing_of_their_poster(big: plan.Plan) -> None:
    assert np.all(np.diff(big.time) >= 0)
    # neighbours in id order rarely share a poster
    same = np.mean(big.actor[1:] == big.actor[:-1])
    assert same < 0.05
