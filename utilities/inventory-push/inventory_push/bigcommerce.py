"""BigCommerce: relative adjustments of planned - observed, which commute with the orders the channel takes meanwhile.

* A sale between the plan and the push is kept: the store applies "+3" on top of whatever it has then. A relative
  change that no longer fits (it would take stock below the safety stock: the channel sold more than planned for)
  is refused by the store as a whole; the push then splits the batch to find the row, re-reads those rows at once
  (one ``/v3/inventory/items`` request per 100) and sends each again as the plan's change on top of the fresh
  number (``PlanRow.on_fresh_read``: a decrease to 0 that met a sale becomes a smaller decrease to 0). A row
  refused again, gone, or whose level rose is recorded ``stale``: the next plan decides.
* A level never set absolutely refuses relative adjustments ("requires absolute adjustment before relative"); when
  the plan observed 0 there (nothing to sell, so no sale to lose) the push sets it absolutely instead.
* Absolute adjustments (planned + safety stock, batched up to 2,000) only when ``bigcommerce_sole_writer`` says the
  channel has no other writer: they overwrite whatever happened since the plan.
* Items tracked by product are addressed by ``product_id``, others by ``variant_id``.
* Retried only when not processed (429 after the quota window, 503): a relative adjustment sent twice would apply
  twice, so a request with no answer leaves its rows ``unknown`` and the next plan, from a fresh sync, decides.
* The Inventory API is asynchronous (reads may lag writes): the push skips a level it wrote less than
  ``settle_seconds`` before the plan observed it (``push.py``), so a lagging read is never taken for the truth.
"""

from __future__ import annotations

import requests

from .audit import Entry, resend_stale
from .plan import PlanRow
from .settings import BigCommerceStore, Settings
from .transport import Ambiguous, NotSent, header_seconds, send

BATCH = 2000
REREAD_BATCH = 100  # items per re-read request (ids in the query string)
NOT_PROCESSED = (429, 503)


class BigCommerceWriter:
    channel = "bigcommerce"

    def __init__(self, store: BigCommerceStore, settings: Settings, session: requests.Session | None = None):
        self.store, self.settings = store, settings
        self.session = session or requests.Session()
        self.session.headers.update({"X-Auth-Token": store.access_token, "Accept": "application/json",
                                     "Content-Type": "application/json"})

    def _send(self, mode: str, items: list[dict]) -> requests.Response:
        method = "PUT" if mode == "absolute" else "POST"
        return send(self.session, method, f"{self.store.base}/v3/inventory/adjustments/{mode}",
                    json={"reason": self.store.reason, "items": items}, timeout=self.settings.timeout_seconds,
                    retries=self.settings.max_retries, retry_statuses=NOT_PROCESSED,
                    wait=lambda r, n: header_seconds(r, "X-Rate-Limit-Time-Reset-Ms", scale=0.001,
                                                     default=header_seconds(r, "X-Retry-After", "Retry-After",
                                                                            default=min(2 ** n, 30))))

    def can_write(self) -> tuple[bool, str]:
        """An empty relative adjustment: the store checks the scope first (403) and then refuses the empty body
        (422), so it tells the scope and writes nothing."""
        try:
            resp = self._send("relative", [])
        except (Ambiguous, NotSent) as exc:
            return False, str(exc)
        if resp.status_code == 401:
            return False, "the access token is not valid for this store"
        if resp.status_code == 403:
            return False, "may not write: the token lacks the Inventory scope (store_inventory, modify)"
        if resp.status_code in (400, 422):
            return True, "may write (scope store_inventory)"
        return False, f"unexpected HTTP {resp.status_code} from the adjustments endpoint"

    def _item(self, row: PlanRow, quantity: int) -> dict:
        kind, item_id, location_id = self._key(row)
        return {"location_id": int(location_id), "quantity": quantity, f"{kind}_id": int(item_id)}

    def write(self, rows: list[PlanRow], plan_id: str) -> list[Entry]:
        mode = "absolute" if self.store.sole_writer else "relative"
        out: list[Entry] = []
        for start in range(0, len(rows), BATCH):
            entries = self._push(rows[start:start + BATCH], mode)
            if mode == "relative":  # a relative change that no longer fits: once more on a fresh read
                entries = resend_stale(entries, self.available, lambda again: self._push(again, "relative"))
            out.extend(entries)
        return out

    def _key(self, row: PlanRow) -> tuple[str, str, str]:
        """How a row's level is named: by product for items tracked by product, else by variant."""
        if row.inventory_tracking == "product" or row.variant_id is None:
            return ("product", str(row.product_id), str(row.location_id))
        return ("variant", str(row.variant_id), str(row.location_id))

    def available(self, rows: list[PlanRow]) -> dict[str, int]:
        """What each row's level has available to sell now, by plan row id (a level not found is left out)."""
        found: dict[tuple[str, str, str], int] = {}
        for start in range(0, len(rows), REREAD_BATCH):
            chunk = rows[start:start + REREAD_BATCH]
            keys = {self._key(r) for r in chunk}
            params = {"location_id:in": ",".join(sorted({k[2] for k in keys})), "limit": "1000"}
            for kind in ("variant", "product"):
                ids = sorted({k[1] for k in keys if k[0] == kind})
                if not ids:
                    continue
                resp = send(self.session, "GET", f"{self.store.base}/v3/inventory/items",
                            params={**params, f"{kind}_id:in": ",".join(ids)}, timeout=self.settings.timeout_seconds,
                            retries=self.settings.max_retries, retry_statuses=NOT_PROCESSED,
                            wait=lambda r, n: header_seconds(r, "X-Rate-Limit-Time-Reset-Ms", scale=0.001,
                                                             default=min(2 ** n, 30)))
                if resp.status_code != 200:
                    raise NotSent(f"re-read refused: HTTP {resp.status_code} {_title(resp)}")
                for item in resp.json().get("data") or []:
                    identity = item.get("identity") or {}
                    for loc in item.get("locations") or []:
                        key = (kind, str(identity.get(f"{kind}_id")), str(loc.get("location_id")))
                        if key in keys and loc.get("available_to_sell") is not None:
                            found[key] = int(loc["available_to_sell"])
        return {r.plan_row_id: found[self._key(r)] for r in rows if self._key(r) in found}

    def _quantity(self, row: PlanRow, mode: str) -> int:
        return row.planned_quantity + (row.safety_stock or 0) if mode == "absolute" else row.delta

    def _push(self, rows: list[PlanRow], mode: str) -> list[Entry]:
        try:
            resp = self._send(mode, [self._item(r, self._quantity(r, mode)) for r in rows])
        except Ambiguous as exc:
            result = "unknown" if mode == "relative" else "error"  # an absolute one may be sent again next run
            return [Entry(r, result, mode, detail=str(exc)) for r in rows]
        except NotSent as exc:
            return [Entry(r, "error", mode, detail=str(exc)) for r in rows]
        if resp.status_code == 200:
            return [Entry(r, "applied", mode, resp.json().get("transaction_id")) for r in rows]
        title = _title(resp)
        if resp.status_code in (401, 403):
            return [Entry(r, "refused", mode, detail=f"HTTP {resp.status_code}: {title}") for r in rows]
        if resp.status_code != 422:
            result = "unknown" if mode == "relative" and resp.status_code >= 500 else "error"
            return [Entry(r, result, mode, detail=f"HTTP {resp.status_code}: {title}") for r in rows]
        if len(rows) > 1:  # the store refuses a batch as a whole: find the row by halves
            half = len(rows) // 2
            return self._push(rows[:half], mode) + self._push(rows[half:], mode)
        row = rows[0]
        if "requires absolute adjustment before relative" in title and row.observed_quantity == 0:
            entries = self._push(rows, "absolute")
            for e in entries:
                e.method = "absolute_first"
                e.detail = " ".join(filter(None, ["the level was never set absolutely, so it was set", e.detail]))
            return entries
        if mode == "relative" and row.delta < 0 and ("stock" in title.lower() or "safety" in title.lower()):
            return [Entry(row, "stale", mode, detail=f"the channel sold since the plan observed it ({title})")]
        return [Entry(row, "refused", mode, detail=f"HTTP 422: {title}")]


def _title(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    return str(body.get("title") if isinstance(body, dict) else body)[:500]
