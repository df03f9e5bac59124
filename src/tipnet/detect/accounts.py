"""What the fake-account models read: input columns, derived features, and their meaning.

Each kind of account has one :class:`AccountSpec`: the columns a platform sends (the profile
fields it holds about the account), the columns of the training data that are deliberately not
used and why, the features derived from the columns, and the estimator to train. Features are
computed on whole columns at once (numpy arrays), so one record and a million go the same way.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # scikit-learn is imported only when a model is trained
    from sklearn.ensemble import GradientBoostingClassifier

    from tipnet.detect.attribution import LogOddsBlend

Matrix = NDArray[np.float64]
Columns = Mapping[str, NDArray[np.float64]]
_TRUE = frozenset({"1", "true", "yes", "t", "y"})
_FALSE = frozenset({"0", "false", "no", "f", "n"})
# True, False, 0.0 and 1.0 hash as 0 and 1, so they hit these keys too
_FLAG_VALUES: dict[object, float] = {0: 0.0, 1: 1.0, "0": 0.0, "1": 1.0}


@dataclass(frozen=True)
class Derived:
    name: str
    meaning: str
    compute: Callable[[Columns], NDArray[np.float64]]


@dataclass(frozen=True)
class AccountSpec:
    kind: str
    platform: str
    label: str
    counts: tuple[str, ...]  # non-negative numbers
    flags: tuple[str, ...]  # 0/1
    meanings: dict[str, str]
    not_used: dict[str, str]  # training-data columns left out, and why
    derived: tuple[Derived, ...]
    estimator: Callable[[], GradientBoostingClassifier | LogOddsBlend]
    data_file: str
    data_source: str

    @property
    def columns(self) -> tuple[str, ...]:
        return self.counts + self.flags

    @functools.cached_property
    def column_set(self) -> frozenset[str]:
        return frozenset(self.columns)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.columns + tuple(d.name for d in self.derived)

    def meaning(self, feature: str) -> str:
        for derived in self.derived:
            if derived.name == feature:
                return derived.meaning
        return self.meanings[feature]

    def matrix(self, columns: Columns) -> Matrix:
        """The feature matrix (rows x features) from parsed input columns."""
        raw = [columns[name] for name in self.columns]
        return np.column_stack(raw + [d.compute(columns) for d in self.derived]).astype(np.float64)


class RecordRejected(ValueError):
    """One record cannot be scored; the message says which field and why."""


def parse_records(spec: AccountSpec, records: Sequence[Mapping[str, Any]]) -> dict[str, Matrix]:
    """Columns as float arrays from records; raises :class:`RecordRejected` for the first bad one.

    Callers that must not stop at a bad record parse one record at a time with
    :func:`parse_row` (see :func:`tipnet.detect.scoring.score_records`).
    """
    rows = [parse_row(spec, record) for record in records]
    return columns_of(spec, np.array(rows, dtype=np.float64).reshape(len(rows), len(spec.columns)))


def parse_row(spec: AccountSpec, record: Mapping[str, Any]) -> list[float]:
    """One record's values in ``spec.columns`` order; :class:`RecordRejected` says what is wrong."""
    values = []
    for name in spec.counts:
        value = record.get(name)
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = -1.0  # let _count say why
        # the common case stays on this line; anything odd gets a full check and a message
        values.append(number if 0.0 <= number < math.inf else _count(record, name))
    for name in spec.flags:
        try:
            flag = _FLAG_VALUES.get(record.get(name))
        except TypeError:  # unhashable, such as a list in a JSON record
            flag = None
        values.append(flag if flag is not None else _flag(record, name))
    return values


def parse_many(spec: AccountSpec, records: Sequence[Mapping[str, Any]]) -> tuple[Matrix, list[str]]:
    """Values of many records (rows x columns) and, per record, why it was rejected ("" if not).

    Clean batches, the usual case, are converted and checked by numpy in one go; a batch with
    any odd value is read again record by record, so that each bad one gets its own message.
    """
    width = len(spec.columns)
    try:
        values = np.array([[r.get(n) for n in spec.columns] for r in records], dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is not None and len(records):
        counts, flags = values[:, : len(spec.counts)], values[:, len(spec.counts) :]
        if (counts >= 0).all() and np.isfinite(counts).all() and np.isin(flags, (0, 1)).all():
            return values, [""] * len(records)
    rows: list[list[float]] = []
    reasons: list[str] = []
    for record in records:
        try:
            rows.append(parse_row(spec, record))
            reasons.append("")
        except RecordRejected as error:
            rows.append([0.0] * width)  # a placeholder that is never scored
            reasons.append(str(error))
    return np.array(rows, dtype=np.float64).reshape(len(records), width), reasons


def columns_of(spec: AccountSpec, rows: Matrix) -> dict[str, Matrix]:
    return {name: rows[:, i] for i, name in enumerate(spec.columns)}


def missing_columns(spec: AccountSpec, header: Sequence[str]) -> list[str]:
    present = set(header)
    return [name for name in spec.columns if name not in present]


def _count(record: Mapping[str, Any], name: str) -> float:
    value = _present(record, name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordRejected(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise RecordRejected(f"{name} must be a count of 0 or more, not {value!r}")
    return number


def _flag(record: Mapping[str, Any], name: str) -> float:
    value = _present(record, name)
    text = str(value).strip().lower()
    if text in _TRUE or text == "1.0":
        return 1.0
    if text in _FALSE or text == "0.0":
        return 0.0
    raise RecordRejected(f"{name} must be 0 or 1 (true/false), not {value!r}")


def _present(record: Mapping[str, Any], name: str) -> Any:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordRejected(f"{name} is missing")
    return value


def _log_ratio(top: str, bottom: str) -> Callable[[Columns], NDArray[np.float64]]:
    return lambda c: np.log1p(c[top]) - np.log1p(c[bottom])


def _share(part: str, whole: str) -> Callable[[Columns], NDArray[np.float64]]:
    return lambda c: c[part] / np.maximum(c[whole], 1.0)


def _twitter_estimator() -> GradientBoostingClassifier:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(
        n_estimators=200,
        learning_rate=0.05,
        max_depth=4,
        subsample=0.8,
        max_features=0.7,
        random_state=0,
    )


def _instagram_estimator() -> LogOddsBlend:
    from tipnet.detect.attribution import LogOddsBlend

    # the linear part reads followers, following, biography length and posts on a log scale,
    # with a square for the three counts whose effect bends (very many or very few follows)
    return LogOddsBlend(logged=(0, 1, 2, 3), squared=(0, 1, 3))


def _zero(name: str) -> Callable[[Columns], NDArray[np.float64]]:
    return lambda c: (c[name] == 0).astype(np.float64)


def _profile_completeness(c: Columns) -> NDArray[np.float64]:
    filled = (c["userBiographyLength"] > 0).astype(np.float64) + (c["userMediaCount"] > 0)
    return filled + c["userHasProfilPic"]


TWITTER = AccountSpec(
    kind="twitter_account",
    platform="Twitter/X",
    label="label",
    counts=(
        "statuses_count",
        "followers_count",
        "friends_count",
        "favourites_count",
        "listed_count",
        "name_length",
        "name_digit_count",
        "screen_name_length",
        "screen_name_digit_count",
        "description_length",
    ),
    flags=(
        "has_url",
        "has_location",
        "default_profile",
        "default_profile_image",
        "geo_enabled",
        "profile_use_background_image",
        "profile_background_tile",
        "protected",
        "verified",
        "has_banner",
    ),
    meanings={
        "statuses_count": "number of posts",
        "followers_count": "number of followers",
        "friends_count": "number of accounts it follows",
        "favourites_count": "number of posts it liked",
        "listed_count": "number of lists it is on",
        "name_length": "length of the display name",
        "name_digit_count": "digits in the display name",
        "screen_name_length": "length of the handle",
        "screen_name_digit_count": "digits in the handle",
        "description_length": "length of the profile description",
        "has_url": "profile links a website",
        "has_location": "profile gives a location",
        "default_profile": "profile theme never changed",
        "default_profile_image": "no profile picture of its own",
        "geo_enabled": "location sharing turned on",
        "profile_use_background_image": "profile uses a background image",
        "profile_background_tile": "background image is tiled",
        "protected": "posts are private",
        "verified": "account is verified",
        "has_banner": "profile has a banner image",
    },
    not_used={
        "created_at": "absolute creation date: the bought accounts were created in bulk in a few "
        "months of 2012, so the date tells when the data set was collected, not what a new "
        "account is",
        "label": "the label",
    },
    derived=(
        Derived(
            "followers_per_friend",
            "followers relative to accounts followed (log ratio)",
            _log_ratio("followers_count", "friends_count"),
        ),
        Derived(
            "statuses_per_friend",
            "posts relative to accounts followed (log ratio)",
            _log_ratio("statuses_count", "friends_count"),
        ),
        Derived(
            "favourites_per_status",
            "likes relative to posts (log ratio)",
            _log_ratio("favourites_count", "statuses_count"),
        ),
        Derived(
            "listed_per_follower",
            "lists it is on per follower",
            _share("listed_count", "followers_count"),
        ),
        Derived(
            "screen_name_digit_share",
            "share of the handle that is digits",
            _share("screen_name_digit_count", "screen_name_length"),
        ),
    ),
    estimator=_twitter_estimator,
    data_file="cresci2015-accounts.csv.gz",
    data_source="Cresci et al., Fame for sale (2015): E13 and INT sets, 70% stratified part",
)

INSTAGRAM = AccountSpec(
    kind="instagram_account",
    platform="Instagram",
    label="isFake",
    counts=(
        "userFollowerCount",
        "userFollowingCount",
        "userBiographyLength",
        "userMediaCount",
        "usernameDigitCount",
        "usernameLength",
    ),
    flags=("userHasProfilPic", "userIsPrivate"),
    meanings={
        "userFollowerCount": "number of followers",
        "userFollowingCount": "number of accounts it follows",
        "userBiographyLength": "length of the biography",
        "userMediaCount": "number of posts",
        "usernameDigitCount": "digits in the username",
        "usernameLength": "length of the username",
        "userHasProfilPic": "has a profile picture",
        "userIsPrivate": "account is private",
    },
    not_used={"isFake": "the label"},
    derived=(
        Derived(
            "followers_per_following",
            "followers relative to accounts followed (log ratio)",
            _log_ratio("userFollowerCount", "userFollowingCount"),
        ),
        Derived(
            "media_per_follower",
            "posts relative to followers (log ratio)",
            _log_ratio("userMediaCount", "userFollowerCount"),
        ),
        Derived(
            "username_digit_share",
            "share of the username that is digits",
            _share("usernameDigitCount", "usernameLength"),
        ),
        Derived(
            "media_per_following",
            "posts relative to accounts followed (log ratio)",
            _log_ratio("userMediaCount", "userFollowingCount"),
        ),
        Derived(
            "profile_completeness",
            "parts of the profile filled in: biography, picture, any post (0 to 3)",
            _profile_completeness,
        ),
        Derived("no_biography", "the biography is empty", _zero("userBiographyLength")),
        Derived("no_posts", "has posted nothing", _zero("userMediaCount")),
    ),
    estimator=_instagram_estimator,
    data_file="instafake-accounts.csv.gz",
    data_source="Akyon and Kalfaoglu, InstaFake (2019): 70% stratified part",
)

SPECS: dict[str, AccountSpec] = {spec.kind: spec for spec in (TWITTER, INSTAGRAM)}
