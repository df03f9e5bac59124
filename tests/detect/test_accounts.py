"""The Instagram features: what a platform has for a new profile, computed as documented."""

from __future__ import annotations

import numpy as np

from tipnet.detect.accounts import INSTAGRAM, parse_records

PROFILES = [
    {"userFollowerCount": 3, "userFollowingCount": 1800, "userBiographyLength": 0,
     "userMediaCount": 0, "userHasProfilPic": 0, "userIsPrivate": 0,
     "usernameDigitCount": 4, "usernameLength": 12},
    {"userFollowerCount": 420, "userFollowingCount": 380, "userBiographyLength": 40,
     "userMediaCount": 95, "userHasProfilPic": 1, "userIsPrivate": 1,
     "usernameDigitCount": 0, "usernameLength": 9},
]  # fmt: skip


def _features() -> dict[str, np.ndarray]:
    matrix = INSTAGRAM.matrix(parse_records(INSTAGRAM, PROFILES))
    return {name: matrix[:, i] for i, name in enumerate(INSTAGRAM.feature_names)}


def test_new_profile_features() -> None:
    features = _features()
    assert features["no_posts"].tolist() == [1.0, 0.0]
    assert features["no_biography"].tolist() == [1.0, 0.0]
    assert features["profile_completeness"].tolist() == [0.0, 3.0]
    following = np.log1p([1800.0, 380.0])
    assert np.allclose(features["media_per_following"], np.log1p([0, 95]) - following)


def test_every_feature_has_a_meaning_and_no_collection_column_is_used() -> None:
    for name in INSTAGRAM.feature_names:
        assert INSTAGRAM.meaning(name)
    assert len(set(INSTAGRAM.feature_names)) == len(INSTAGRAM.feature_names)
    assert INSTAGRAM.label not in INSTAGRAM.feature_names
