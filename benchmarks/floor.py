"""The floor: the same pages the tap fetches, with plain ``requests``, parsed and written as the same Singer
RECORD messages by a minimal writer (``json.dumps`` per line). No SDK, no schema validation, no retries,
no pacing. What a tap spends above this is its own overhead.

Run as ``python benchmarks/floor.py PLATFORM CONFIG_JSON OUT_PATH [PAGE_SIZE]`` so its wall time and peak
RSS are measured the same way as the tap's.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import requests

STREAM = "inventory_levels"
QUANTITIES = ["available", "on_hand", "committed", "reserved", "incoming", "damaged", "quality_control",
              "safety_stock"]
# The tap's own query texts (copied from the sandbox log of a tap run).
SHOPIFY_LOCATIONS = ("query($first: Int!, $after: String) { locations(first: $first, after: $after, "
                     "includeInactive: true, includeLegacy: true) { nodes { id name isActive fulfillsOnlineOrders "
                     "updatedAt } pageInfo { hasNextPage endCursor } } }")
SHOPIFY_LEVELS = ("query($id: ID!, $first: Int!, $after: String, $query: String) { location(id: $id) { "
                  "inventoryLevels(first: $first, after: $after, query: $query) { nodes { id updatedAt item { id sku } "
                  f"quantities(names: {json.dumps(QUANTITIES)}) {{ name quantity }} }} "
                  "pageInfo { hasNextPage endCursor } } } }")


class Writer:
    def __init__(self, fh, store: str):
        self.fh, self.store = fh, store
        self.synced_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def record(self, row: dict) -> None:
        msg = {"type": "RECORD", "stream": STREAM, "record": {"store_id": self.store, **row,
                                                              "synced_at": self.synced_at}}
        self.fh.write(json.dumps(msg, separators=(",", ":")) + "\n")


def tail(gid: str | None) -> str | None:
    return gid.rsplit("/", 1)[-1].split("?")[0] if gid else None


def shopify(config: dict, out: Writer, page: int) -> None:
    s = requests.Session()
    s.headers["X-Shopify-Access-Token"] = config["access_token"]
    url = f"{config['api_url']}/admin/api/2026-10/graphql.json"

    def pages(query: str, variables: dict, path):
        after = None
        while True:
            body = s.post(url, json={"query": query, "variables": {**variables, "first": page, "after": after}}).json()
            conn = path(body["data"])
            yield conn["nodes"]
            if not conn["pageInfo"]["hasNextPage"]:
                return
            after = conn["pageInfo"]["endCursor"]

    locations = [n["id"] for nodes in pages(SHOPIFY_LOCATIONS, {}, lambda d: d["locations"]) for n in nodes]
    for gid in locations:
        for nodes in pages(SHOPIFY_LEVELS, {"id": gid, "query": None}, lambda d: d["location"]["inventoryLevels"]):
            for node in nodes:
                q = {x["name"]: x["quantity"] for x in node["quantities"]}
                out.record({"inventory_item_id": tail(node["item"]["id"]), "location_id": tail(gid),
                            "sku": node["item"]["sku"], **{n: q.get(n) for n in QUANTITIES[:5]},
                            "updated_at": node["updatedAt"], **{n: q.get(n) for n in QUANTITIES[5:]}})


def bigcommerce(config: dict, out: Writer, page: int) -> None:
    s = requests.Session()
    s.headers["X-Auth-Token"] = config["access_token"]
    number, last = 1, 1
    while number <= last:
        body = s.get(f"{config['api_url']}/v3/inventory/items", params={"limit": page, "page": number}).json()
        last = body["meta"]["pagination"]["total_pages"]
        number += 1
        for item in body["data"]:
            ident = item.get("identity") or {}
            vid, pid = ident.get("variant_id"), ident.get("product_id")
            for loc in item.get("locations") or []:
                st = loc.get("settings") or {}
                out.record({"inventory_item_id": str(vid or pid), "location_id": str(loc["location_id"]),
                            "sku": ident.get("sku"), "available": loc.get("available_to_sell"),
                            "on_hand": loc.get("total_inventory_onhand"), "committed": None, "reserved": None,
                            "incoming": None, "updated_at": None, "product_id": str(pid), "variant_id": str(vid),
                            "safety_stock": st.get("safety_stock"), "warning_level": st.get("warning_level"),
                            "is_in_stock": st.get("is_in_stock"), "bin_picking_number": st.get("bin_picking_number")})


def magento(config: dict, out: Writer, page: int) -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {config['access_token']}"
    root = f"{config['base_url']}/rest/default/V1"
    sort = {"searchCriteria[sortOrders][0][field]": "sku", "searchCriteria[sortOrders][0][direction]": "ASC",
            "searchCriteria[sortOrders][1][field]": "source_code", "searchCriteria[sortOrders][1][direction]": "ASC"}
    number, last = 1, 1
    while number <= last:
        body = s.get(f"{root}/inventory/source-items", params={
            **sort, "searchCriteria[pageSize]": page, "searchCriteria[currentPage]": number}).json()
        last = max(1, -(-body["total_count"] // page))
        number += 1
        items = body["items"]
        skus = sorted({i["sku"] for i in items})
        products = s.get(f"{root}/products", params={
            "searchCriteria[filter_groups][0][filters][0][field]": "sku",
            "searchCriteria[filter_groups][0][filters][0][value]": ",".join(skus),
            "searchCriteria[filter_groups][0][filters][0][condition_type]": "in",
            "searchCriteria[pageSize]": page, "searchCriteria[currentPage]": 1,
            "fields": "items[id,sku]"}).json()["items"]
        ids = {p["sku"]: str(p["id"]) for p in products}
        for i in items:
            qty = i.get("quantity")
            out.record({"inventory_item_id": ids.get(i["sku"]), "location_id": i["source_code"], "sku": i["sku"],
                        "available": qty if i.get("status") == 1 else 0, "on_hand": qty, "committed": None,
                        "reserved": None, "incoming": None, "updated_at": None, "status": i.get("status")})


def main() -> int:
    platform, config_path, out_path = sys.argv[1:4]
    config = json.loads(open(config_path).read())
    default_page = {"shopify": 250, "bigcommerce": 1000, "magento": int(config.get("page_size", 100))}[platform]
    page = int(sys.argv[4]) if len(sys.argv) > 4 else default_page
    store = config.get("store") or config.get("store_hash") or config.get("store_id")
    with open(out_path, "w", buffering=1 << 20) as fh:
        {"shopify": shopify, "bigcommerce": bigcommerce, "magento": magento}[platform](config, Writer(fh, store), page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
