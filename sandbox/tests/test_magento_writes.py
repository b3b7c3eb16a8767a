"""POST /V1/inventory/source-items: the write integration's ACL, Magento's validation messages, all-or-nothing."""

from __future__ import annotations

import pytest
import requests

from inventory_sandbox import MagentoSandbox

STORE = "mg-writes"


@pytest.fixture
def mg():
    with MagentoSandbox(stores=[STORE], locations=3, items=16, seed=6) as sb:
        yield sb


def save(sb, items, token=None):
    return requests.post(f"{sb.base_url(STORE)}/rest/default/V1/inventory/source-items", json={"sourceItems": items},
                         headers={"Authorization": f"Bearer {token or sb.write_token(STORE)}"}, timeout=10)


def quantities(sb) -> dict:
    levels = sb.truth(STORE, ["inventory_levels"])["inventory_levels"]
    return {(r["sku"], r["location_id"]): r["quantity"] for r in levels}


def test_the_store_integration_may_not_save_the_write_integration_may(mg):
    (sku, code), before = next(iter(quantities(mg).items()))
    refused = save(mg, [{"sku": sku, "source_code": code, "quantity": 7, "status": 1}], token=mg.token(STORE))
    assert refused.status_code == 401
    assert refused.json() == {"message": "The consumer isn't authorized to access %resources.",
                              "parameters": {"resources": "Magento_InventoryApi::stock_source_item_assign"}}
    assert save(mg, [], token=mg.token(STORE)).status_code == 401  # the empty probe: scope first, writes nothing
    assert save(mg, []).json() == {"message": "Input data is empty", "parameters": []}
    assert quantities(mg)[sku, code] == before and mg.log()["writes"] == 0
    ok = save(mg, [{"sku": sku, "source_code": code, "quantity": 7, "status": 1}])
    assert (ok.status_code, ok.json()) == (200, [])
    assert quantities(mg)[sku, code] == 7.0
    log = mg.log()
    assert (log["writes"], log["write_rows"]) == (1, 1)
    mg.configure(write_resources=["Magento_InventoryApi::source"])
    assert save(mg, [{"sku": sku, "source_code": code, "quantity": 8, "status": 1}]).status_code == 401


def test_validation_failures_use_magentos_words_and_save_nothing(mg):
    rows = quantities(mg)
    (sku, code), before = next(iter(rows.items()))
    failed = save(mg, [{"sku": sku, "source_code": code, "quantity": 3, "status": 1},
                       {"sku": " ", "source_code": code, "status": 7}])
    assert failed.status_code == 400
    assert failed.json() == {"message": "Validation Failed", "errors": [
        {"message": '"%field" can not be empty.', "parameters": {"field": "sku"}},
        {"message": '"%field" should be numeric.', "parameters": {"field": "quantity"}},
        {"message": '"%field" should a known status.', "parameters": {"field": "status"}}]}
    unknown_source = save(mg, [{"sku": sku, "source_code": "nowhere", "quantity": 1, "status": 1}])
    assert unknown_source.json()["message"] == "Could not save Source Item"
    typed = save(mg, [{"sku": sku, "source_code": code, "quantity": "lots", "status": 1}])
    assert 'The "float" type was expected' in typed.json()["message"]
    assert quantities(mg)[sku, code] == before and mg.log()["writes"] == 0
    assert mg.log()["write_requests"] == 3
