"""Demand processes per SKU: how many units shoppers ask for each simulated day, and in which orders.

Each process is explicit and seeded, so a forecast can be backtested against the very process that made the
demand (the sales simulator exports the realised daily demand next to the process and its parameters):

  smooth            every day, Poisson(mean) orders of one unit.
  intermittent      a day has demand with probability ``occurrence`` (default 0.3); then 1 + Poisson(mean /
                    occurrence - 1) one-unit orders (sporadic, small sizes: Croston's case).
  lumpy             a day has demand with probability ``occurrence`` (default 0.15); then one order whose size is
                    gamma-Poisson with mean ``mean / occurrence`` and coefficient of variation ``cv`` (default 1.0):
                    rare, large and very variable orders.
  trending          Poisson(mean * max(0, 1 + trend * day)) one-unit orders (``trend`` per day, default 0.05).
  seasonal_weekly   Poisson(mean * weekly[weekday]) one-unit orders; ``weekly`` holds seven factors Monday to Sunday
                    (default a weekend peak), scaled to average 1.

``mean`` is the expected units per day (for ``trending`` on day 0). Processes are written ``kind`` or
``kind:key=value,key=value`` (``lumpy:mean=3,occurrence=0.2``); ``weekly`` takes seven values joined by ``/``.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field

KINDS = ("smooth", "intermittent", "lumpy", "trending", "seasonal_weekly")
DEFAULT_WEEKLY = (0.8, 0.8, 0.9, 0.9, 1.1, 1.4, 1.1)  # Monday .. Sunday
_DEFAULT_OCCURRENCE = {"intermittent": 0.3, "lumpy": 0.15}


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth below 30, the normal approximation above; never negative)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


@dataclass(frozen=True)
class DemandProcess:
    kind: str = "smooth"
    mean: float = 4.0
    occurrence: float | None = None
    cv: float = 1.0
    trend: float = 0.05
    weekly: tuple[float, ...] = field(default=DEFAULT_WEEKLY)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown demand kind {self.kind!r}; known: {', '.join(KINDS)}")
        if self.mean < 0:
            raise ValueError("mean must be 0 or more")
        if self.occurrence is not None and not 0 < self.occurrence <= 1:
            raise ValueError("occurrence must be in (0, 1]")
        if len(self.weekly) != 7 or min(self.weekly) < 0 or sum(self.weekly) <= 0:
            raise ValueError("weekly needs seven factors, none negative")

    @property
    def p(self) -> float:
        return self.occurrence if self.occurrence is not None else _DEFAULT_OCCURRENCE.get(self.kind, 1.0)

    def expected(self, day: int, weekday: int = 0) -> float:
        """Expected units on ``day`` (0 = the first simulated day, whose weekday is ``weekday``, 0 = Monday)."""
        if self.kind == "trending":
            return self.mean * max(0.0, 1 + self.trend * day)
        if self.kind == "seasonal_weekly":
            return self.mean * self.weekly[(weekday + day) % 7] * 7 / sum(self.weekly)
        return self.mean

    def orders(self, rng: random.Random, day: int, weekday: int = 0) -> list[int]:
        """The sizes of the orders placed on ``day``."""
        if self.kind in ("smooth", "trending", "seasonal_weekly"):
            return [1] * poisson(rng, self.expected(day, weekday))
        if rng.random() >= self.p:
            return []
        size = self.mean / self.p
        if self.kind == "intermittent":
            return [1] * (1 + poisson(rng, max(size - 1, 0.0)))
        shape = 1 / (self.cv * self.cv)  # lumpy: a gamma-Poisson (negative binomial) size, at least 1
        return [max(1, poisson(rng, rng.gammavariate(shape, size / shape)))]

    def as_dict(self) -> dict:
        out = asdict(self)
        out["occurrence"] = self.p
        out["weekly"] = list(self.weekly)
        return out

    @classmethod
    def parse(cls, text: str, mean: float | None = None) -> DemandProcess:
        """``kind`` or ``kind:key=value,...``; ``mean`` fills in when the text gives none."""
        kind, _, rest = text.strip().partition(":")
        values: dict = {} if mean is None else {"mean": float(mean)}
        for part in filter(None, (p.strip() for p in rest.split(","))):
            key, _, value = part.partition("=")
            if key == "weekly":
                values[key] = tuple(float(v) for v in value.split("/"))
            elif key in ("mean", "occurrence", "cv", "trend"):
                values[key] = float(value)
            else:
                raise ValueError(f"unknown demand parameter {key!r} in {text!r}")
        return cls(kind=kind.strip(), **values)


def assign(skus: list[str], spec: str | dict, mean: float) -> dict[str, DemandProcess]:
    """A process per SKU: one process text for all, ``mix`` (the kinds in turn, SKU by SKU), or a mapping of
    SKU -> process text or ``DemandProcess`` (SKUs it leaves out get ``smooth``)."""
    if isinstance(spec, dict):
        out = {}
        for sku in skus:
            given = spec.get(sku, "smooth")
            out[sku] = given if isinstance(given, DemandProcess) else DemandProcess.parse(given, mean)
        return out
    if spec == "mix":
        return {sku: DemandProcess(kind=KINDS[i % len(KINDS)], mean=mean) for i, sku in enumerate(skus)}
    return dict.fromkeys(skus, DemandProcess.parse(spec, mean))  # the text's own mean, if any, wins
