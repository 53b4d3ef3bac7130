"""What goes with a good night: for each tag (and workout type) seen on enough days, the next
night's sleep score and the next day's readiness after days with it against days without.

- "After day D" is the value Oura gives day D + 1: the night that ends on D + 1, and the
  readiness of D + 1.
- Days without: every other day of the period shown that has that next-day value.
- The difference is mean(with) - mean(without), with a 95 % interval from Welch's t (no
  equal-variance assumption), computed here with the standard library only: Student's t
  distribution through the regularized incomplete beta function.
- Shown only when the tag was seen on at least `MINIMUM_DAYS` days and each side has at
  least that many values. It is an association in one person's data, never a cause.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MINIMUM_DAYS = 5
LEVEL = 0.95
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Comparison:
    """Days with against days without: sizes, means, difference and its interval."""

    n_with: int
    n_without: int
    mean_with: float
    mean_without: float
    difference: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """The interval leaves out zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True)
class Association:
    name: str
    kind: str  # "tag" or "workout"
    days: int  # days it was seen on
    outcomes: tuple[Comparison | None, ...]  # one per outcome, in the order asked


def associations(
    marked: Mapping[tuple[str, str], set[dt.date]],
    outcomes: Sequence[Mapping[dt.date, float]],
    days: Sequence[dt.date],
) -> list[Association]:
    """For each (kind, name) seen on at least `MINIMUM_DAYS` of `days`, its comparisons;
    most days first."""
    period = set(days)
    out = []
    for (kind, name), seen in marked.items():
        on = seen & period
        if len(on) < MINIMUM_DAYS:
            continue
        found = tuple(compare_next_day(on, period, outcome) for outcome in outcomes)
        out.append(Association(name, kind, len(on), found))
    return sorted(out, key=lambda a: (-a.days, a.kind, a.name))


def compare_next_day(
    on: set[dt.date], period: set[dt.date], outcome: Mapping[dt.date, float]
) -> Comparison | None:
    """The outcome the day after the days in `on` against the day after the other days."""
    after_with = next_values(on, outcome)
    after_without = next_values(period - on, outcome)
    if min(len(after_with), len(after_without)) < MINIMUM_DAYS:
        return None
    return welch(after_with, after_without)


def next_values(days: Iterable[dt.date], outcome: Mapping[dt.date, float]) -> list[float]:
    return [outcome[d + ONE_DAY] for d in sorted(days) if d + ONE_DAY in outcome]


def welch(first: Sequence[float], second: Sequence[float], level: float = LEVEL) -> Comparison:
    """Difference of means (first - second) with Welch's t interval; needs 2+ values each."""
    n1, n2 = len(first), len(second)
    m1, m2 = sum(first) / n1, sum(second) / n2
    v1 = sum((x - m1) ** 2 for x in first) / (n1 - 1)
    v2 = sum((x - m2) ** 2 for x in second) / (n2 - 1)
    a, b = v1 / n1, v2 / n2
    error = math.sqrt(a + b)
    difference = m1 - m2
    if error == 0:
        return Comparison(n1, n2, m1, m2, difference, difference, difference)
    freedom = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    half = t_quantile((1 + level) / 2, freedom) * error
    return Comparison(n1, n2, m1, m2, difference, difference - half, difference + half)


def t_cdf(t: float, freedom: float) -> float:
    """P(T <= t) for Student's t with `freedom` degrees of freedom."""
    x = freedom / (freedom + t * t)
    tail = 0.5 * incomplete_beta(x, freedom / 2, 0.5)
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, freedom: float) -> float:
    """The t with P(T <= t) = p (0.5 < p < 1), by bisection: 60 halvings, far below 1e-9."""
    low, high = 0.0, 1.0
    while t_cdf(high, freedom) < p:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        if t_cdf(middle, freedom) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def incomplete_beta(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b), by its continued fraction
    (evaluated with the modified Lentz method), using the symmetry I_x(a, b) = 1 - I_1-x(b, a)
    where the fraction converges slowly."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1 - incomplete_beta(1 - x, b, a)
    log_front = a * math.log(x) + b * math.log1p(-x) - math.log(a)
    log_front -= math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp(log_front) * continued_fraction(x, a, b)


def continued_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return result
