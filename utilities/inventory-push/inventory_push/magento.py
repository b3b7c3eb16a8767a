"""Magento: ``POST /V1/inventory/source-items`` saves absolute quantities and has no compare-and-set, so the push
re-reads the source items right before each save and writes only what it has just read: an item still equal to
what the plan observed gets the planned quantity; one that fell since (a sale) gets the plan's change on top of the
number just read (``PlanRow.on_fresh_read``: the sale stands), and the audit's ``from_quantity`` is that number. An
item that rose, or is gone, is ``stale``: the next plan decides again.

The remaining window: an order that changes a source item after the re-read answered and before the save is
applied is overwritten. The window is one request long (the re-read's answer to the save's answer, measured and
written to the audit's ``detail`` for every saved row); batches keep it short (``magento_batch_size``, default
100). With a Magento that takes orders through reservations (MSI's default), an order does not change the source
item at all until it ships, so that order is not lost: its reservation still counts against the salable quantity.

The observed quantity of a Magento row is the tap's ``available``: the source item's whole units when in stock,
else 0. A saved item is in stock (status 1) when its quantity is above 0.
"""

from __future__ import annotations

import math
import time

import requests
from requests_oauthlib import OAuth1

from .audit import Entry
from .plan import PlanRow
from .settings import MagentoStore, Settings
from .transport import Ambiguous, NotSent, send

NOT_PROCESSED = (429, 503)


class MagentoWriter:
    channel = "magento"

    def __init__(self, store: MagentoStore, settings: Settings, session: requests.Session | None = None):
        self.store, self.settings = store, settings
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json"})
        if store.auth_method == "oauth1":
            self.session.auth = OAuth1(store.consumer_key, store.consumer_secret, store.access_token,
                                       store.access_token_secret, signature_method=store.oauth_signature_method,
                                       signature_type="AUTH_HEADER")
        else:
            self.session.headers["Authorization"] = f"Bearer {store.access_token}"

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        return send(self.session, method, f"{self.store.rest}/{path}", timeout=self.settings.timeout_seconds,
                    retries=self.settings.max_retries, retry_statuses=NOT_PROCESSED, **kwargs)

    def can_write(self) -> tuple[bool, str]:
        """An empty save: Magento checks the integration's ACL first (401) and then refuses the empty input (400),
        so it tells whether the integration may save source items and writes nothing."""
        try:
            resp = self._request("POST", "inventory/source-items", json={"sourceItems": []})
        except (Ambiguous, NotSent) as exc:
            return False, str(exc)
        if resp.status_code == 401:
            return False, ("may not write: the integration lacks Magento_InventoryApi::stock_source_item_assign "
                           "(or its credentials are not valid)")
        if resp.status_code == 400:
            return True, "may write (Magento_InventoryApi::stock_source_item_assign)"
        return False, f"unexpected HTTP {resp.status_code} from the source-items endpoint"

    def current(self, rows: list[PlanRow]) -> dict[tuple[str, str], tuple[float, int]]:
        """(sku, source code) -> (quantity, status) now, for the rows' SKUs and sources."""
        skus = sorted({r.sku for r in rows})
        codes = sorted({r.source_code or r.location_id for r in rows})
        params = {"searchCriteria[filter_groups][0][filters][0][field]": "sku",
                  "searchCriteria[filter_groups][0][filters][0][value]": ",".join(skus),
                  "searchCriteria[filter_groups][0][filters][0][condition_type]": "in",
                  "searchCriteria[filter_groups][1][filters][0][field]": "source_code",
                  "searchCriteria[filter_groups][1][filters][0][value]": ",".join(codes),
                  "searchCriteria[filter_groups][1][filters][0][condition_type]": "in",
                  "searchCriteria[pageSize]": str(max(len(skus) * len(codes), 1)),
                  "searchCriteria[currentPage]": "1"}
        resp = self._request("GET", "inventory/source-items", params=params)
        if resp.status_code != 200:
            raise NotSent(f"re-reading source items: HTTP {resp.status_code} {_message(resp)}")
        return {(i["sku"], i["source_code"]): (float(i["quantity"]), int(i["status"])) for i in resp.json()["items"]}

    def write(self, rows: list[PlanRow], plan_id: str) -> list[Entry]:
        out: list[Entry] = []
        size = self.store.batch_size
        for start in range(0, len(rows), size):
            out.extend(self._push(rows[start:start + size]))
        return out

    def _push(self, rows: list[PlanRow]) -> list[Entry]:
        try:
            now = self.current(rows)
        except (Ambiguous, NotSent) as exc:  # a read: nothing was written
            return [Entry(r, "error", "source_items", detail=str(exc)) for r in rows]
        read_at = time.monotonic()
        out, still, notes = [], [], {}
        for r in rows:
            quantity, status = now.get((r.sku, r.source_code or r.location_id), (None, 0))
            available = None if quantity is None else (math.floor(quantity) if status == 1 else 0)
            if available == r.observed_quantity:
                still.append(r)
                continue
            shown = "no source item" if quantity is None else f"{available} (quantity {quantity:g}, status {status})"
            moved = f"re-read before writing: the channel shows {shown}, the plan observed {r.observed_quantity}"
            fresh, why_not = (None, "") if available is None else r.on_fresh_read(available)
            if fresh is None:
                out.append(Entry(r, "stale", "source_items", detail="; ".join(filter(None, [moved, why_not]))))
            else:
                still.append(fresh)
                notes[r.plan_row_id] = f"{moved}; the plan's change {r.delta:+d} applied to it"
        return out + (self._save(still, read_at, notes) if still else [])

    def _save(self, rows: list[PlanRow], read_at: float, notes: dict[str, str]) -> list[Entry]:
        items = [{"sku": r.sku, "source_code": r.source_code or r.location_id, "quantity": r.planned_quantity,
                  "status": 1 if r.planned_quantity > 0 else 0} for r in rows]
        try:
            resp = self._request("POST", "inventory/source-items", json={"sourceItems": items})
        except Ambiguous as exc:
            return [Entry(r, "unknown", "source_items", detail=str(exc)) for r in rows]
        except NotSent as exc:
            return [Entry(r, "error", "source_items", detail=str(exc)) for r in rows]
        window_ms = (time.monotonic() - read_at) * 1000
        if resp.status_code == 200:
            return [Entry(r, "applied", "source_items", detail="; ".join(filter(None, [
                notes.get(r.plan_row_id), f"re-read guard window {window_ms:.0f} ms"]))) for r in rows]
        if resp.status_code == 400 and len(rows) > 1:  # Magento refuses a save as a whole: find the row by halves
            half = len(rows) // 2
            return self._save(rows[:half], read_at, notes) + self._save(rows[half:], read_at, notes)
        result = "refused" if resp.status_code in (400, 401, 404) else (
            "unknown" if resp.status_code >= 500 else "error")
        return [Entry(r, result, "source_items", detail=f"HTTP {resp.status_code}: {_message(resp)}") for r in rows]


def _message(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200].strip()
    if isinstance(body, dict):
        errors = "; ".join(str(e.get("message")) for e in body.get("errors") or [])
        return str(body.get("message")) + (f" ({errors})" if errors else "")
    return str(body)[:200]
