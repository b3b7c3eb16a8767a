"""Writing stock: ``inventorySetQuantities`` and ``inventoryAdjustQuantities`` as the Admin API documents them.

Compare-and-set depends on the API version (the schema of each version only has its own input fields):
  before 2026-01   each quantity carries ``compareQuantity`` unless ``ignoreCompareQuantity: true``; a mismatch
                   is ``COMPARE_QUANTITY_STALE``, a missing one ``COMPARE_QUANTITY_REQUIRED``.
  2026-01          ``changeFromQuantity`` may be given (``null`` skips the check) and then wins over the old pair.
  from 2026-04     every quantity (and every adjust change) must carry ``changeFromQuantity`` (``null`` to skip);
                   a mismatch is ``CHANGE_FROM_QUANTITY_STALE``. The old pair no longer exists.
Idempotency: from 2026-01 the ``@idempotent(key:)`` directive is accepted, from 2026-04 it is required (a
top-level ``BAD_REQUEST`` without it). A key seen before with the same input returns the first answer without
applying anything again; with another input it is ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``.
At most 250 rows per input (top-level ``MAX_INPUT_SIZE_EXCEEDED``). A mutation applies all its rows or, when any
row has a user error, none of them. A change moves the level's ``updatedAt`` as any stock change does.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from .data import ON_HAND_PARTS, StoreData, iso
from .schema import version_key

MAX_INPUT_SIZE = 250
SET_NAMES = ("available", "on_hand")
ADJUST_NAMES = ("available", "on_hand", "damaged", "quality_control", "reserved", "safety_stock", "incoming")
# Shopify's documented reasons for inventory changes.
REASONS = frozenset({
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated", "movement_received",
    "movement_canceled", "other", "promotion", "quality_control", "received", "reservation_created",
    "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
})
SET_MAX, ADJUST_LIMIT = 1_000_000_000, 2_000_000_000
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
IDEMPOTENCY_REQUIRED = "The @idempotent directive is required for this mutation but was not provided."
# The reference says only that omitting changeFromQuantity from 2026-04 "returns an error"; these words are ours.
CHANGE_FROM_REQUIRED = "The changeFromQuantity field is required on every row (pass null to skip the check)."


@dataclass
class Change:
    """One entry of ``InventoryAdjustmentGroup.changes``."""
    name: str
    delta: int
    quantity_after: int
    item: int
    loc: int
    ledger_document_uri: str | None = None


@dataclass
class Group:
    """An applied mutation: what ``inventoryAdjustmentGroup`` shows, kept so an idempotent repeat can show it again."""
    id: str
    created_at: str
    reason: str
    reference_document_uri: str | None
    changes: list[Change]
    levels: list[int] = field(default_factory=list)  # level indexes changed (for webhooks and the log)


@dataclass
class Outcome:
    """A mutation's answer: a group (applied) or user errors (nothing applied)."""
    group: Group | None
    user_errors: list[dict]


class WriteMemory:
    """What an app remembers of its writes: answers by idempotency key (per store and mutation), group ids."""

    def __init__(self):
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str, str], tuple[str, Outcome]] = {}
        self._group_ids = itertools.count(70_000_000_001)

    def next_group_id(self) -> str:
        with self._lock:
            return f"gid://shopify/InventoryAdjustmentGroup/{next(self._group_ids)}"

    def lookup(self, store: str, mutation: str, key: str, fingerprint: str) -> Outcome | None:
        with self._lock:
            found = self._answers.get((store, mutation, key))
        if found is None:
            return None
        if found[0] != fingerprint:
            return Outcome(None, [_error("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", None,
                                         "The same idempotency key cannot be used with different operation "
                                         "parameters.")])
        return found[1]

    def remember(self, store: str, mutation: str, key: str, fingerprint: str, outcome: Outcome) -> None:
        with self._lock:
            self._answers[(store, mutation, key)] = (fingerprint, outcome)


def _error(code: str, path: list | None, message: str) -> dict:
    return {"code": code, "field": path, "message": message}


# ---------------------------------------------------------------------------------------------- views
class ChangeView:
    TYPENAME = "InventoryChange"

    def __init__(self, store: StoreData, change: Change):
        self.s, self.c = store, change

    @property
    def name(self): return self.c.name
    @property
    def delta(self): return self.c.delta
    @property
    def quantityAfterChange(self): return self.c.quantity_after
    @property
    def ledgerDocumentUri(self): return self.c.ledger_document_uri

    @property
    def item(self):
        from .resolvers import ItemView
        return ItemView(self.s, self.c.item)

    @property
    def location(self):
        from .resolvers import LocationView
        return LocationView(self.s, self.c.loc)


class GroupView:
    TYPENAME = "InventoryAdjustmentGroup"

    def __init__(self, store: StoreData, group: Group):
        self.s, self.g = store, group

    @property
    def id(self): return self.g.id
    @property
    def createdAt(self): return self.g.created_at
    @property
    def reason(self): return self.g.reason
    @property
    def referenceDocumentUri(self): return self.g.reference_document_uri

    def changes(self, info, inventoryItemIds=None, locationIds=None, quantityNames=None):  # noqa: N803
        items = {str(i).rsplit("/", 1)[-1] for i in inventoryItemIds} if inventoryItemIds else None
        locs = {str(i).rsplit("/", 1)[-1] for i in locationIds} if locationIds else None
        return [ChangeView(self.s, c) for c in self.g.changes
                if (items is None or str(self.s.item_id(c.item)) in items)
                and (locs is None or str(self.s.location_id(c.loc)) in locs)
                and (quantityNames is None or c.name in quantityNames)]


def payload(store: StoreData, outcome: Outcome) -> dict:
    return {"inventoryAdjustmentGroup": None if outcome.group is None else GroupView(store, outcome.group),
            "userErrors": outcome.user_errors}


# ---------------------------------------------------------------------------------------------- mutations
class Writer:
    """Runs one inventory mutation for a request (``ctx``: store, API version, the app's ``WriteMemory``; applied
    and refused outcomes are appended to ``ctx.writes`` as (mutation, outcome, replayed) for the app's log and
    webhooks)."""

    def __init__(self, ctx, info, mutation: str, rows_key: str, rows: list):
        self.ctx, self.info, self.mutation = ctx, info, mutation
        self.store: StoreData = ctx.store
        self.version = version_key(ctx.api_version)
        if len(rows) > MAX_INPUT_SIZE:
            raise GraphQLError(f"The input array size of {len(rows)} is greater than the maximum allowed of "
                               f"{MAX_INPUT_SIZE}.", extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
                               path=[mutation, "input", rows_key])
        self.key = self._idempotency_key()

    def _idempotency_key(self) -> str | None:
        directive = self.info.schema.get_directive("idempotent")
        key = None
        if directive is not None:
            values = get_directive_values(directive, self.info.field_nodes[0], self.info.variable_values)
            key = values["key"] if values else None
        if key is None and self.version >= "2026-04":
            raise GraphQLError(IDEMPOTENCY_REQUIRED, extensions={"code": "BAD_REQUEST"}, path=[self.mutation])
        return key

    def run(self, input_: dict, validate, apply) -> dict:
        """Validate every row, then apply all of them (or none), answering repeats of a key from memory."""
        fingerprint = json.dumps(input_, sort_keys=True, default=str)
        memory: WriteMemory = self.ctx.write_memory
        if self.key is not None:
            known = memory.lookup(self.store.name, self.mutation, self.key, fingerprint)
            if known is not None:
                self.ctx.writes.append((self.mutation, known, True))
                return payload(self.store, known)
        errors, planned = validate()
        if errors:
            outcome = Outcome(None, errors)
        else:
            changes, levels = apply(planned)
            group = Group(id=memory.next_group_id(), created_at=iso(int(time.time())), reason=input_["reason"],
                          reference_document_uri=input_.get("referenceDocumentUri"), changes=changes, levels=levels)
            outcome = Outcome(group, [])
        if self.key is not None:
            memory.remember(self.store.name, self.mutation, self.key, fingerprint, outcome)
        self.ctx.writes.append((self.mutation, outcome, False))
        return payload(self.store, outcome)

    # ------------------------------------------------------------------ shared row checks
    def locate(self, row: dict, path: list, errors: list) -> int | None:
        """The level of a row's item and location, or None with a user error."""
        s = self.store
        item = s.item_index(_tail(row["inventoryItemId"], "InventoryItem"))
        if item is None:
            errors.append(_error("INVALID_INVENTORY_ITEM", [*path, "inventoryItemId"],
                                 "The specified inventory item could not be found."))
            return None
        loc = s.location_index(_tail(row["locationId"], "Location"))
        if loc is None:
            errors.append(_error("INVALID_LOCATION", [*path, "locationId"],
                                 "The specified location could not be found."))
            return None
        level = s.find_level(item, loc)
        if level is None:
            errors.append(_error("ITEM_NOT_STOCKED_AT_LOCATION", [*path, "inventoryItemId"],
                                 "The specified inventory item is not stocked at the location."))
        return level

    def common(self, input_: dict, errors: list) -> None:
        if input_["reason"] not in REASONS:
            errors.append(_error("INVALID_REASON", ["input", "reason"], "The specified reason is invalid."))
        uri = input_.get("referenceDocumentUri")
        if uri is not None and not URI.match(uri):
            errors.append(_error("INVALID_REFERENCE_DOCUMENT", ["input", "referenceDocumentUri"],
                                 "The specified reference document is invalid."))

    def change_from(self, row: dict, current: int, path: list, errors: list, stale_message: str) -> bool:
        """The 2026-01+ check; False when the row's ``changeFromQuantity`` decides nothing (2026-01 fallback)."""
        if "changeFromQuantity" not in row:
            if self.version >= "2026-04":
                raise GraphQLError(CHANGE_FROM_REQUIRED, extensions={"code": "BAD_REQUEST"},
                                   path=[self.mutation, *path, "changeFromQuantity"])
            return False
        expected = row["changeFromQuantity"]
        if expected is not None and expected != current:
            errors.append(_error("CHANGE_FROM_QUANTITY_STALE", [*path, "changeFromQuantity"], stale_message))
        return True


def _tail(value, kind: str):
    """The numeric id of a GID of ``kind`` (anything else: an id no row has)."""
    text = str(value)
    if not text.startswith(f"gid://shopify/{kind}/"):
        return -1
    return text.split("?", 1)[0].rsplit("/", 1)[-1]


def set_quantities(ctx, info, input_: dict) -> dict:
    rows = input_["quantities"]
    writer = Writer(ctx, info, "inventorySetQuantities", "quantities", rows)
    s, name = writer.store, input_["name"]

    def validate():
        errors: list[dict] = []
        if name not in SET_NAMES:
            errors.append(_error("INVALID_NAME", ["input", "name"],
                                 "The quantity name must be either 'available' or 'on_hand'."))
        writer.common(input_, errors)
        planned, seen = [], set()
        ignore = bool(input_.get("ignoreCompareQuantity"))
        for i, row in enumerate(rows):
            path = ["input", "quantities", str(i)]
            level = writer.locate(row, path, errors)
            if level is None:
                continue
            if level in seen:
                errors.append(_error("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", path,
                                     "The combination of inventoryItemId and locationId must be unique."))
                continue
            seen.add(level)
            quantity = row["quantity"]
            if quantity < 0:
                errors.append(_error("INVALID_QUANTITY_NEGATIVE", [*path, "quantity"],
                                     "The quantity can't be negative."))
                continue
            if quantity > SET_MAX:
                errors.append(_error("INVALID_QUANTITY_TOO_HIGH", [*path, "quantity"],
                                     "The total quantity can't be higher than 1,000,000,000."))
                continue
            current = s.quantity(level, name) if name in SET_NAMES else 0
            stale = "The changeFromQuantity value does not match persisted value."
            if not writer.change_from(row, current, path, errors, stale) and not ignore:
                if row.get("compareQuantity") is None:
                    errors.append(_error("COMPARE_QUANTITY_REQUIRED", [*path, "compareQuantity"],
                                         "The compareQuantity argument must be given to each quantity or ignored "
                                         "using ignoreCompareQuantity."))
                elif row["compareQuantity"] != current:
                    errors.append(_error("COMPARE_QUANTITY_STALE", [*path, "compareQuantity"],
                                         "The compareQuantity value does not match persisted value."))
            planned.append((level, quantity))
        return errors, planned

    def apply(planned):
        changes, levels = [], []
        for level, quantity in planned:
            before = {n: s.quantity(level, n) for n in ("available", "on_hand")}
            if before[name] == quantity:
                continue
            s.set_quantities(level, {name: quantity})
            levels.append(level)
            for n in ("available", "on_hand"):
                after = s.quantity(level, n)
                if after != before[n]:
                    changes.append(Change(n, after - before[n], after, s.level_item[level], s.level_loc[level]))
        return changes, levels

    return writer.run(input_, validate, apply)


def adjust_quantities(ctx, info, input_: dict) -> dict:
    rows = input_["changes"]
    writer = Writer(ctx, info, "inventoryAdjustQuantities", "changes", rows)
    s, name = writer.store, input_["name"]

    def validate():
        errors: list[dict] = []
        if name not in ADJUST_NAMES:
            errors.append(_error("INVALID_QUANTITY_NAME", ["input", "name"], "The specified quantity name is invalid."))
        writer.common(input_, errors)
        planned, running = [], {}
        for i, row in enumerate(rows):
            path = ["input", "changes", str(i)]
            ledger = row.get("ledgerDocumentUri")
            if name == "available" and ledger is not None:
                errors.append(_error("INVALID_AVAILABLE_DOCUMENT", [*path, "ledgerDocumentUri"],
                                     "A ledger document URI is not allowed when adjusting available."))
            elif name != "available" and ledger is None:
                errors.append(_error("INVALID_QUANTITY_DOCUMENT", [*path, "ledgerDocumentUri"],
                                     "A ledger document URI is required except when adjusting available."))
            elif ledger is not None and ledger.startswith("gid://shopify/"):
                errors.append(_error("INTERNAL_LEDGER_DOCUMENT", [*path, "ledgerDocumentUri"],
                                     "Internal (gid://shopify/) ledger documents are not allowed to be adjusted "
                                     "via API."))
            level = writer.locate(row, path, errors)
            if level is None or name not in ADJUST_NAMES:
                continue
            current = running.get(level, s.quantity(level, name))
            writer.change_from(row, current, path, errors,
                               "The changeFromQuantity argument no longer matches the persisted quantity.")
            after = current + row["delta"]
            if after > ADJUST_LIMIT:
                errors.append(_error("INVALID_QUANTITY_TOO_HIGH", [*path, "delta"],
                                     "The quantity can't be higher than 2,000,000,000."))
            elif after < -ADJUST_LIMIT:
                errors.append(_error("INVALID_QUANTITY_TOO_LOW", [*path, "delta"],
                                     "The quantity can't be lower than -2,000,000,000."))
            running[level] = after
            planned.append((level, row["delta"], ledger))
        return errors, planned

    def apply(planned):
        changes, levels = [], []
        for level, delta, ledger in planned:
            if delta == 0:
                continue
            if name == "on_hand":  # on_hand is the sum of its parts: the difference lands in available
                target = {"on_hand": s.quantity(level, "on_hand") + delta}
            else:
                target = {name: s.quantity(level, name) + delta}
            on_hand_before = s.quantity(level, "on_hand")
            s.set_quantities(level, target)
            levels.append(level)
            item, loc = s.level_item[level], s.level_loc[level]
            shown = "available" if name == "on_hand" else name
            changes.append(Change(shown, delta, s.quantity(level, shown), item, loc, ledger))
            if name in ON_HAND_PARTS or name == "on_hand":
                on_hand = s.quantity(level, "on_hand")
                if on_hand != on_hand_before:
                    changes.append(Change("on_hand", on_hand - on_hand_before, on_hand, item, loc, ledger))
        return changes, levels

    return writer.run(input_, validate, apply)
