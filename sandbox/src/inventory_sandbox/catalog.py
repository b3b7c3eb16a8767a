"""The shared-catalog mode (``inventory-sandbox serve ... --catalog shared``): one product catalog sold on every
platform, with known disagreements, so the inventory mart's reconciliation can be checked end to end.

By default each platform seeds its own SKU space (``SKU-00001``, ``BC-1000``, ``MG-00001``) and nothing is
shared. With ``--catalog shared`` every platform server, started with the same ``--seed`` and ``--items``,
computes the same ``CatalogPlan`` here (no platform code in this module) and applies it to its own data:

* ``size`` shared SKUs ``CAT-00001``... (two in five items) are given to the first tracked items of every
  platform that can hold stock at a location that sells online; every other item stops tracking stock (it
  carries no quantity: services, gift cards, made to order).
* The system of record is ``RECORD_CHANNEL`` (Magento, the warehouse's MSI): its sellable quantity of each
  shared SKU is ``record_quantity(sku)``, stocked like a shop's: a few SKUs sold out, about a quarter running
  low (1 to 9 units), the rest 10 to 150. Every other channel sells the same, except for the seeded cases:

  ``discrepancy``                        the channel sells fewer units than the record has
  ``above_system_of_record``             the channel sells more (an oversell risk, and a discrepancy)
  ``continue_with_nothing_available``    the channel keeps selling (policy ``continue``) with nothing in stock
  ``negative_stock``                     a level below zero (at a location that does not sell online)
  ``tracked_without_levels``             a tracked item stocked nowhere

* One shared SKU is written in lower case on BigCommerce (``normalized_on``): staging's SKU rule must match it.
* A channel's quantity of a SKU is spread over the locations that sell it (``spread``): the first one, the
  platform's storefront default, holds the most; some SKUs (``single_location``, the same on every channel) sit
  in one location only.

A platform seeds the cases it can express (``cases_for(channel)``) and reports them with the SKUs it chose under
``GET /_sandbox/scenario``.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass

RECORD_CHANNEL = "magento"
PREFIX = "CAT-"
SHARED_PER_5_ITEMS = 2  # two shared SKUs per 5 items (every platform has room for them from 20 items on)
SOLD_OUT, RUNNING_LOW = 0.06, 0.24  # shares of the shared SKUs with 0, and with 1 to 9 units, at the record
SINGLE_LOCATION = 0.35  # share of SKUs stocked at one location on every channel


@dataclass(frozen=True)
class Case:
    kind: str
    channel: str
    sku: str | None            # None: the platform picks one of its own (non-shared) items
    delta: int = 0             # channel sellable - record sellable (discrepancy / above_system_of_record)
    quantity: int = 0          # negative_stock: the level's available quantity

    def as_dict(self) -> dict:
        return asdict(self)


class CatalogPlan:
    """Deterministic from ``(seed, items)``: every platform computes the same plan."""

    def __init__(self, seed: int, items: int):
        self.seed, self.items = seed, items
        self.size = max(8, items * SHARED_PER_5_ITEMS // 5)
        rng = random.Random(f"{seed}:catalog:{items}")
        self.skus = [f"{PREFIX}{i + 1:05d}" for i in range(self.size)]
        self._record = {sku: _stocked(rng) for sku in self.skus}
        self._single = {sku for sku in self.skus if rng.random() < SINGLE_LOCATION}
        picks = rng.sample(self.skus, 6)
        cases = [
            Case("discrepancy", "shopify", picks[0], delta=-rng.randint(2, 5)),
            Case("discrepancy", "bigcommerce", picks[1], delta=-rng.randint(2, 5)),
            Case("above_system_of_record", "shopify", picks[2], delta=rng.randint(3, 9)),
            Case("above_system_of_record", "bigcommerce", picks[3], delta=rng.randint(3, 9)),
            Case("continue_with_nothing_available", "shopify", picks[4]),
            Case("negative_stock", "shopify", None, quantity=-rng.randint(1, 5)),
            Case("tracked_without_levels", "shopify", None),
        ]
        for case in cases[:2]:  # room to sell fewer
            self._record[case.sku] = max(self._record[case.sku], 10)
        self._record[picks[4]] = 0
        self.cases = tuple(cases)
        self.lowercase_sku = picks[5]  # BigCommerce lists this one as "cat-000nn"

    def record_quantity(self, sku: str) -> int:
        return self._record[sku]

    def cases_for(self, channel: str) -> list[Case]:
        return [c for c in self.cases if c.channel == channel]

    def quantity(self, channel: str, sku: str) -> int:
        """The sellable quantity ``channel`` should show for shared ``sku``."""
        delta = sum(c.delta for c in self.cases if c.channel == channel and c.sku == sku)
        return self._record[sku] + delta

    def single_location(self, sku: str) -> bool:
        """Whether every channel stocks ``sku`` at one location only (its storefront default)."""
        return sku in self._single

    def spread(self, channel: str, sku: str, locations: int) -> list[int]:
        """``quantity(channel, sku)`` over ``locations`` selling locations, the platform's storefront default first:
        all at the first one for a single-location SKU (or fewer than 5 units); else over two or three of them, the
        first holding the most. Deterministic per (seed, channel, SKU)."""
        quantity = self.quantity(channel, sku)
        parts = [0] * max(1, locations)
        if quantity < 5 or len(parts) == 1 or self.single_location(sku):
            parts[0] = quantity
            return parts
        rng = random.Random(f"{self.seed}:spread:{channel}:{sku}")
        used = min(len(parts), rng.choice((2, 2, 3)))
        weights = sorted((rng.uniform(0.15, 1.0) for _ in range(used)), reverse=True)
        weights[0] += 0.5  # the storefront default holds the most
        shares = [quantity * w / sum(weights) for w in weights]
        counts = [int(s) for s in shares]
        for i in sorted(range(used), key=lambda i: counts[i] - shares[i])[: quantity - sum(counts)]:
            counts[i] += 1  # largest remainders: the parts add up to the quantity
        parts[:used] = counts
        return parts

    def policy(self, channel: str, sku: str) -> str:
        continues = any(c.kind == "continue_with_nothing_available" and c.channel == channel and c.sku == sku
                        for c in self.cases)
        return "continue" if continues else "deny"

    def listed_sku(self, channel: str, sku: str) -> str:
        """How ``channel`` writes a shared SKU (normalization must undo it)."""
        return sku.lower() if channel == "bigcommerce" and sku == self.lowercase_sku else sku

    def scenario(self, channel: str, store: str, seeded: list[dict]) -> dict:
        """What ``GET /_sandbox/scenario`` shows for one store: the plan and the cases it seeded."""
        return {
            "catalog": "shared", "seed": self.seed, "items": self.items, "channel": channel, "store_id": store,
            "record_channel": RECORD_CHANNEL, "is_record": channel == RECORD_CHANNEL,
            "shared_skus": {sku: {"record_quantity": self._record[sku], "quantity": self.quantity(channel, sku),
                                  "oversell_policy": self.policy(channel, sku),
                                  "listed_as": self.listed_sku(channel, sku),
                                  "single_location": self.single_location(sku)} for sku in self.skus},
            "cases": seeded,
        }


def _stocked(rng: random.Random) -> int:
    """A shop's stock of one SKU: sold out, running low (1-9) or stocked (10-150, more often at the low end)."""
    draw = rng.random()
    if draw < SOLD_OUT:
        return 0
    if draw < SOLD_OUT + RUNNING_LOW:
        return rng.randint(1, 9)
    return round(math.exp(rng.uniform(math.log(10), math.log(150))))


def seeded_case(case: Case, store: str, sku: str, **extra) -> dict:
    """One entry of ``scenario()["cases"]``: the plan's case with the store and SKU the platform used."""
    return {**case.as_dict(), "store_id": store, "sku": sku, **extra}


def plan_from_args(args) -> CatalogPlan | None:
    """The plan for ``--catalog shared`` (None for the default, per-platform catalog)."""
    return CatalogPlan(args.seed, args.items) if getattr(args, "catalog", "own") == "shared" else None


def apply_catalog(app, plan: CatalogPlan | None):
    """Seed every store of a platform app from ``plan`` (nothing for None); ``GET /_sandbox/scenario`` shows it."""
    if plan is not None:
        for state in app.stores.values():
            state.data.apply_catalog(plan)
    app.catalog = plan
    return app


def scenario(app) -> dict:
    """The body of ``GET /_sandbox/scenario``: per store, the plan and the cases seeded there."""
    plan = getattr(app, "catalog", None)
    if plan is None:
        return {"catalog": "own", "stores": {}}
    return {"catalog": "shared", "record_channel": RECORD_CHANNEL, "stores": {
        name: plan.scenario(app.platform, name, state.data.scenario or []) for name, state in app.stores.items()}}
