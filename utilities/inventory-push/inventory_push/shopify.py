"""Shopify: ``inventorySetQuantities`` with compare-and-set on the observed quantity, or ``inventoryAdjustQuantities``.

* ``system_of_record`` rows are set (the push writes on behalf of the system of record, the case Shopify keeps
  ``inventorySetQuantities`` for); ``pooled`` rows are adjusted by planned - observed (a delta is what is meant).
  Adjusting needs a compare too, so before 2026-01 (no ``changeFromQuantity`` on adjustments) pooled rows are set.
* The compare is ``changeFromQuantity`` = observed from 2026-01 on (required from 2026-04), ``compareQuantity``
  before, chosen by the configured ``api_version``. A stale compare means the channel moved since the plan saw it.
* A stale row is re-read once, at once (one query per batch: each level's ``available`` by its InventoryLevel id),
  and, if the level fell since the plan saw it (the way sales move it), sent again as the plan's change on top of
  the fresh number (``PlanRow.on_fresh_read``), compared against that fresh number: the sale that moved the level
  is kept and nothing is written over a number the push has not just read. A row stale again (the level moved once
  more between the re-read and the resend), gone, or whose level rose is recorded ``stale``: the next plan, from a
  fresh sync, decides again. Without the resend a plan about a minute old went stale on nearly every busy level,
  cycle after cycle (docs/benchmarks.md, section 7). Both modes: the audit records what the resend compared and
  set, and the pooled ledger (int_inventory_push_pool) counts the sale before it as the plan's observed quantity
  minus that compared number.
* A mutation applies all its rows or none: rows named by a user error are taken out and the rest sent again.
* From 2026-01 every mutation carries ``@idempotent(key:)``, a key made from the plan and its rows, so a retry or a
  second run of the same plan cannot apply twice (and a request with no answer can safely be sent again).
* At most 250 rows per mutation; THROTTLED answers wait for the bucket as ``throttleStatus`` says.
"""

from __future__ import annotations

import hashlib
import re
import time

import requests

from .audit import Entry, resend_stale
from .plan import PlanRow
from .settings import Settings, ShopifyStore
from .transport import Ambiguous, NotSent, header_seconds, send

BATCH = 250
REREAD_BATCH = 100  # levels per re-read query (a node and its quantities cost about 2 points each)
STALE = ("CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE")
RETRYABLE = (429, 500, 502, 503, 504)


def version_key(version: str) -> str:
    return version if re.fullmatch(r"\d{4}-\d{2}", version or "") else "9999-12"


def gid(kind: str, value: str | None) -> str | None:
    if value is None:
        return None
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


class ShopifyWriter:
    channel = "shopify"

    def __init__(self, store: ShopifyStore, settings: Settings, session: requests.Session | None = None):
        self.store, self.settings = store, settings
        self.session = session or requests.Session()
        self.session.headers.update({"X-Shopify-Access-Token": store.access_token, "Content-Type": "application/json"})
        self.version = version_key(store.api_version)
        self.keyed = self.version >= "2026-01"
        self.compare_field = "changeFromQuantity" if self.keyed else "compareQuantity"

    def method(self, row: PlanRow) -> str:
        return "adjust" if row.mode == "pooled" and self.keyed else "set"

    # ------------------------------------------------------------------ transport
    def graphql(self, query: str, variables: dict) -> dict:
        """One GraphQL request; THROTTLED waits for the bucket and tries again. Raises Ambiguous / NotSent."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                resp = send(self.session, "POST", self.store.graphql_url, json={"query": query, "variables": variables},
                            timeout=self.settings.timeout_seconds, retries=self.settings.max_retries,
                            retry_statuses=RETRYABLE if self.keyed else (429, 503),
                            wait=lambda r, n: header_seconds(r, "Retry-After", default=min(2 ** n, 30)))
            except Ambiguous:
                if not self.keyed or attempt == self.settings.max_retries:
                    raise
                continue  # the idempotency key makes sending it again safe
            if resp.status_code == 401:
                return {"errors": [{"message": "invalid access token", "extensions": {"code": "UNAUTHORIZED"}}]}
            if resp.status_code != 200:
                raise NotSent(f"HTTP {resp.status_code} from Shopify")
            body = resp.json()
            errors = body.get("errors") or []
            if errors and isinstance(errors, list) and errors[0].get("extensions", {}).get("code") == "THROTTLED" \
                    and attempt < self.settings.max_retries:
                cost = body.get("extensions", {}).get("cost", {})
                status = cost.get("throttleStatus") or {}
                missing = (cost.get("requestedQueryCost") or 0) - (status.get("currentlyAvailable") or 0)
                time.sleep(max(0.05, missing / (status.get("restoreRate") or 50)))
                continue
            return body
        raise NotSent("still throttled after every retry")

    def can_write(self) -> tuple[bool, str]:
        try:
            body = self.graphql("{ currentAppInstallation { accessScopes { handle } } }", {})
        except (Ambiguous, NotSent) as exc:
            return False, str(exc)
        if body.get("errors"):
            return False, _first_error(body)
        scopes = {s["handle"] for s in body["data"]["currentAppInstallation"]["accessScopes"]}
        if "write_inventory" in scopes:
            return True, "may write (scope write_inventory)"
        return False, f"may not write: the token lacks write_inventory (it has {', '.join(sorted(scopes)) or 'none'})"

    # ------------------------------------------------------------------ writes
    def write(self, rows: list[PlanRow], plan_id: str) -> list[Entry]:
        out: list[Entry] = []
        for method in ("set", "adjust"):
            mine = [r for r in rows if self.method(r) == method]
            for start in range(0, len(mine), BATCH):
                entries = self._push(mine[start:start + BATCH], method, plan_id)
                out.extend(resend_stale(entries, self.available,
                                        lambda rows, m=method: self._push(rows, m, plan_id, resend=True)))
        return out

    def available(self, rows: list[PlanRow]) -> dict[str, int]:
        """The ``available`` quantity each row's level shows now, by plan row id (a level not found is left out)."""
        out: dict[str, int] = {}
        for start in range(0, len(rows), REREAD_BATCH):
            chunk = rows[start:start + REREAD_BATCH]
            ids = {f"l{i}": level_gid(r) for i, r in enumerate(chunk)}
            head = ", ".join(f"${k}: ID!" for k in ids)
            fields = " ".join(f'{k}: node(id: ${k}) {{ ... on InventoryLevel {{ quantities(names: ["available"]) '
                              "{ quantity } } }" for k in ids)
            body = self.graphql(f"query Reread({head}) {{ {fields} }}", ids)
            if body.get("errors") or not body.get("data"):
                raise NotSent(f"re-read refused: {_first_error(body)}")
            for i, r in enumerate(chunk):
                node = body["data"].get(f"l{i}") or {}
                quantities = node.get("quantities") or []
                if quantities:
                    out[r.plan_row_id] = int(quantities[0]["quantity"])
        return out

    def _push(self, batch: list[PlanRow], method: str, plan_id: str, resend: bool = False) -> list[Entry]:
        out: list[Entry] = []
        pending = list(batch)
        while pending:
            query, variables = self._mutation(pending, method, plan_id, resend)
            try:
                body = self.graphql(query, variables)
            except Ambiguous as exc:
                return out + [Entry(r, "unknown", method, detail=str(exc)) for r in pending]
            except NotSent as exc:
                return out + [Entry(r, "error", method, detail=str(exc)) for r in pending]
            if body.get("errors"):
                code = _first_code(body)
                result = "refused" if code in ("ACCESS_DENIED", "UNAUTHORIZED") else "error"
                return out + [Entry(r, result, method, detail=_first_error(body)) for r in pending]
            payload = next(iter(body["data"].values()))
            errors = payload["userErrors"]
            if not errors:
                group = payload["inventoryAdjustmentGroup"]["id"]
                return out + [Entry(r, "applied", method, group) for r in pending]
            by_row = {}
            for e in errors:
                path = e.get("field") or []
                if len(path) >= 3 and path[1] in ("quantities", "changes") and str(path[2]).isdigit() \
                        and int(path[2]) < len(pending):
                    by_row.setdefault(int(path[2]), e)
            if not by_row:
                first = errors[0]
                return out + [Entry(r, "refused", method, detail=f"{first['code']}: {first['message']}")
                              for r in pending]
            for i, e in sorted(by_row.items()):
                result = "stale" if e["code"] in STALE else "refused"
                detail = ("the channel moved since the plan observed it" if result == "stale" else "") + \
                    f" ({e['code']}: {e['message']})"
                out.append(Entry(pending[i], result, method, detail=detail.strip()))
            pending = [r for i, r in enumerate(pending) if i not in by_row]
        return out

    def _mutation(self, rows: list[PlanRow], method: str, plan_id: str, resend: bool = False) -> tuple[str, dict]:
        field, kind = (("inventorySetQuantities", "InventorySetQuantitiesInput") if method == "set"
                       else ("inventoryAdjustQuantities", "InventoryAdjustQuantitiesInput"))
        input_ = {"name": "available", "reason": self.store.reason,
                  "referenceDocumentUri": self.settings.reference_uri.format(plan_id=_uri_safe(plan_id))}
        if method == "set":
            input_["quantities"] = [{"inventoryItemId": gid("InventoryItem", r.inventory_item_id),
                                     "locationId": gid("Location", r.location_id), "quantity": r.planned_quantity,
                                     self.compare_field: r.observed_quantity} for r in rows]
        else:
            input_["changes"] = [{"inventoryItemId": gid("InventoryItem", r.inventory_item_id),
                                  "locationId": gid("Location", r.location_id), "delta": r.delta,
                                  "changeFromQuantity": r.observed_quantity} for r in rows]
        variables: dict = {"input": input_}
        if self.keyed:
            variables["key"] = idempotency_key(plan_id, rows, resend)
            head, directive = f"mutation Push($input: {kind}!, $key: String!)", " @idempotent(key: $key)"
        else:
            head, directive = f"mutation Push($input: {kind}!)", ""
        query = (f"{head} {{ {field}(input: $input){directive} {{ inventoryAdjustmentGroup {{ id }} "
                 "userErrors { code field message } } }")
        return query, variables


def idempotency_key(plan_id: str, rows: list[PlanRow], resend: bool = False) -> str:
    """The same plan rows always give the same key (a second run or a retry cannot apply twice); other rows, another.
    A resend after a re-read carries other quantities, so its key also names them (the same resend, the same key)."""
    parts = sorted(r.plan_row_id for r in rows) if not resend else \
        ["resend", *sorted(f"{r.plan_row_id}:{r.observed_quantity}:{r.planned_quantity}" for r in rows)]
    digest = hashlib.sha256("\n".join([plan_id, *parts]).encode()).hexdigest()
    return f"inventory-push-{digest[:40]}"


def level_gid(row: PlanRow) -> str:
    """The InventoryLevel id of a row's level: ``gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>``."""
    location = str(row.location_id).rsplit("/", 1)[-1]
    item = str(row.inventory_item_id).rsplit("/", 1)[-1]
    return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


def _uri_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]", "-", text)


def _first_code(body: dict) -> str:
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        return (errors[0].get("extensions") or {}).get("code", "")
    return ""


def _first_error(body: dict) -> str:
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        code = (errors[0].get("extensions") or {}).get("code")
        return f"{code}: {errors[0].get('message')}" if code else str(errors[0].get("message"))
    return str(errors)
