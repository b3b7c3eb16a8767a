"""Control-API plumbing shared by the platform apps (``/_sandbox/<path>``).

``ControlApp`` is a mixin for a platform app. The app provides
  ``platform``                                  the name shown by ``GET /_sandbox/health``
  ``_not_found``                                its ``NotFound`` class (a control reference to a missing row)
  ``stores``, ``log``, ``faults``               per-store state, a ``RequestLog``, a ``FaultQueue``
  ``configure(**settings)``, ``config()``       run-time settings
  ``_health_store(name, state)``                one store's entry in ``GET /_sandbox/health``
  ``_control(method, path, query, body)``       its own routes, falling back to ``self._common_control(...)``

and gets ``control`` (NotFound -> 404, ValueError/KeyError/TypeError -> 400), ``_store`` and the routes every
platform answers the same way: health, log, log/reset, faults (add, list, clear), config (get, set),
bad_data (awkward values in one store, ``baddata.py``), and the storefront of the sales simulator:

  POST order   {"store", "sku", "quantity": 1, "location_id"?, "force"?}  a shopper's order, checked and taken from
               the shown stock under the store's lock (one atomic step): ``{"accepted", "before", "after",
               "policy", "sku", "inventory_item_id", "location_id"}``. Each platform's ``StoreData.place_order``
               says what "shows stock" means there; ``force`` takes the units even without stock (an order an OMS
               imports into the system of record). Without ``location_id`` the order is routed as the platform
               routes online orders: over the locations that sell online, the storefront default first
               (``route_order``); ``before``/``after`` are then those locations' total and ``location_id`` the first
               one the order took from.
  POST receive {"store", "sku", "quantity", "location_id"?}  stock received at a location (``StoreData.receive``).
"""

from __future__ import annotations

from collections.abc import Iterable

from . import catalog, webhooks
from .faults import Fault
from .server import Reply


def route_order(quantity: int, shown: list[int]) -> list[int]:
    """How many of ``quantity`` units each location gives, in routing order: what it shows, first location first;
    what none of them shows (an order taken regardless: ``force``, or a ``CONTINUE`` item) from the first."""
    taken, left = [], quantity
    for units in shown:
        take = min(max(units, 0), left)
        taken.append(take)
        left -= take
    if taken and left:
        taken[0] += left
    return taken


class ControlApp:
    platform: str
    _not_found: type[KeyError]

    def _store(self, name):
        state = self.stores.get(name)
        if state is None:
            raise self._not_found(f"unknown store {name!r}")
        return state

    def control(self, method: str, path: str, query: dict, body) -> Reply:
        """Dispatch ``/_sandbox/<path>``; NotFound -> 404, ValueError/KeyError -> 400."""
        try:
            return self._control(method, path, query, body if isinstance(body, dict) else {})
        except self._not_found as exc:
            return Reply.json(404, {"error": exc.args[0] if exc.args else "not found"})
        except (ValueError, KeyError, TypeError) as exc:
            return Reply.json(400, {"error": f"{type(exc).__name__}: {exc}"})

    @staticmethod
    def _truth_streams(query: dict, known: Iterable[str], blank_means_all: bool = True) -> list[str]:
        """The ``streams`` of ``GET /_sandbox/truth`` (comma separated; absent: every stream).

        ``blank_means_all=False`` keeps Magento's answer to a blank ``streams=``: no stream at all.
        """
        everything = ",".join(known)
        text = (query.get("streams") or everything) if blank_means_all else query.get("streams", everything)
        streams = [s for s in text.split(",") if s]
        unknown = set(streams) - set(known)
        if unknown:
            raise ValueError(f"unknown streams {sorted(unknown)}")
        return streams

    def _common_control(self, method: str, path: str, body: dict) -> Reply:
        """The routes every platform shares, and the 404 for an unknown control route."""
        route = (method, path)
        if route == ("GET", "health"):
            return Reply.json(200, {"status": "ok", "platform": self.platform, "stores": {
                name: self._health_store(name, state) for name, state in self.stores.items()}})
        if route == ("GET", "log"):
            return Reply.json(200, self.log.snapshot())
        if route == ("POST", "log/reset"):
            self.log.reset()
            return Reply.json(200, {"ok": True})
        if route == ("POST", "faults"):
            for spec in body.get("faults") if "faults" in body else [body]:
                self.faults.add(Fault.from_json(spec))
            return Reply.json(200, {"pending": self.faults.pending(), "fired": self.faults.fired()})
        if route == ("GET", "faults"):
            return Reply.json(200, {"pending": self.faults.pending(), "fired": self.faults.fired()})
        if route == ("DELETE", "faults"):
            self.faults.clear()
            return Reply.json(200, {"pending": [], "fired": []})
        if route == ("POST", "bad_data"):  # reliability tests: awkward values in one store (baddata.py)
            from . import baddata
            return Reply.json(200, {"set": baddata.apply(self.platform, self._store(body["store"]).data)})
        if route == ("POST", "config"):
            settings = dict(body)
            if "webhooks" in settings:  # signed webhook emission (inventory_sandbox.webhooks)
                webhooks.configure(self, settings.pop("webhooks") or {})
            if settings:
                self.configure(**settings)
            return Reply.json(200, self._config_with_webhooks())
        if route == ("GET", "config"):
            return Reply.json(200, self._config_with_webhooks())
        if route in (("POST", "order"), ("POST", "receive")):
            store = body.get("store")
            data = self._store(store).data
            quantity = body.get("quantity", 1)
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                raise ValueError("quantity must be a whole number of units, 1 or more")
            with data.lock:
                if path == "order":
                    answer, changed = data.place_order(str(body["sku"]), quantity, body.get("location_id"),
                                                       bool(body.get("force")))
                else:
                    answer, changed = data.receive(str(body["sku"]), quantity, body.get("location_id"))
            webhooks.stock_changed(self, store, changed)
            return Reply.json(200, answer)
        if route == ("GET", "scenario"):  # the shared catalog's seeded cases (inventory_sandbox.catalog)
            return Reply.json(200, catalog.scenario(self))
        return Reply.json(404, {"error": f"no control route {method} /_sandbox/{path}"})

    def _config_with_webhooks(self) -> dict:
        found = getattr(self, "_webhook_emitter", None)
        return {**self.config(), **({"webhooks": found.config()} if found else {})}
