"""Bad data for reliability tests: ``POST /_sandbox/bad_data {"store"}`` puts awkward values into one store.

What a live store may hold and a sync must carry through unchanged (the mart's tests then flag it):
duplicate SKUs, SKUs differing only by case or by surrounding whitespace, a unicode SKU, a missing SKU,
a negative quantity, a quantity at the 32-bit limit, a missing optional field (unit cost). Each platform
gets what it can hold: BigCommerce keeps stock between 0 and 2^31-1 (no negative case); Magento's SKU is the
product's key (unique, never null), so it gets only the quantity cases. Returns what was set, per case.
"""

from __future__ import annotations

INT32_MAX = 2_147_483_647
UNICODE_SKU = "ÜBER-雪-🧦-Ω"


def apply(platform: str, data) -> list[dict]:
    with data.lock:
        return {"shopify": _shopify, "bigcommerce": _bigcommerce, "magento": _magento}[platform](data)


def _sku_cases(base: str) -> list[tuple[str, str | None]]:
    return [("duplicate SKU", base), ("SKU differing by case", base.lower()),
            ("SKU differing by whitespace", f" {base} "), ("unicode SKU", UNICODE_SKU), ("null SKU", None)]


def _shopify(data) -> list[dict]:
    items = [i for i in range(data.item_count) if not data.item_deleted[i] and data.sku(i) is not None
             and any(data.level_alive[k] for k in data.item_levels(i))]
    base, done = data.sku(items[0]), []
    overrides = dict(data.sku_override)  # a new dict: the class default is shared by every store
    for (case, sku), item in zip(_sku_cases(base), items[1:], strict=False):
        if sku is None:
            overrides.pop(item, None)
            data.item_sku_null[item] = 1
        else:
            overrides[item] = sku
        done.append({"case": case, "inventory_item_id": str(data.item_id(item)), "sku": sku})
    data.sku_override = overrides
    level = next(k for k in data.item_levels(items[6]) if data.level_alive[k])
    data.set_quantities(level, {"available": -7})
    done.append({"case": "negative quantity", "inventory_item_id": str(data.item_id(items[6])), "available": -7})
    # Shopify's quantities are 32-bit Ints: on hand (and the variant's total) exactly at the limit.
    alive = [k for k in data.item_levels(items[7]) if data.level_alive[k]]
    for k in alive:
        data.set_quantities(k, {"available": 0})
    others = data.quantity(alive[0], "on_hand") - data.quantity(alive[0], "available")
    data.set_quantities(alive[0], {"available": INT32_MAX - others})
    done.append({"case": "quantity at the 32-bit limit", "inventory_item_id": str(data.item_id(items[7])),
                 "on_hand": INT32_MAX})
    data.item_cost[items[8]] = -1
    done.append({"case": "missing optional field (unit cost)", "inventory_item_id": str(data.item_id(items[8]))})
    return done


def _bigcommerce(data) -> list[dict]:
    variants = sorted(data.variants)
    base, done = data.variants[variants[0]]["sku"], []
    for (case, sku), vid in zip(_sku_cases(base), variants[1:], strict=False):
        variant = data.variants[vid]
        variant["sku"] = sku
        done.append({"case": case, "inventory_item_id": str(vid), "sku": sku})
    for vid in variants[6:]:
        try:
            data.set_level(vid, data.locations[0]["id"], {"on_hand": INT32_MAX})
        except (KeyError, ValueError):  # an untracked variant has no level
            continue
        done.append({"case": "quantity at the 32-bit limit", "inventory_item_id": str(vid), "on_hand": INT32_MAX})
        break
    return done


def _magento(data) -> list[dict]:
    rows = [(sku, code) for (sku, code) in sorted(data.source_items)][:2]
    done = []
    for (case, quantity), (sku, code) in zip((("negative quantity", -5), ("quantity at the 32-bit limit", INT32_MAX)),
                                             rows, strict=False):
        data.set_source_item(sku, code, quantity, 1)
        done.append({"case": case, "sku": sku, "location_id": code, "quantity": quantity})
    return done
