import requests
from conftest import STORE


def test_wrong_or_missing_token_is_401(sandbox):
    url = sandbox.graphql_url(STORE)
    for headers in ({}, {"X-Shopify-Access-Token": "shpat_wrong"},
                    {"X-Shopify-Access-Token": sandbox.token("other-store")}):
        resp = requests.post(url, json={"query": "{ locations(first: 1) { nodes { id } } }"}, headers=headers)
        assert resp.status_code == 401
        assert resp.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or "
                                         "wrong password)"}


def test_unknown_store_is_404(sandbox):
    resp = requests.post(sandbox.graphql_url("no-such-store"), json={"query": "{ shop { id } }"},
                         headers={"X-Shopify-Access-Token": sandbox.token("no-such-store")})
    assert resp.status_code == 404
    assert resp.json() == {"errors": "Not Found"}


def test_any_version_is_echoed_and_non_versions_are_404(sandbox):
    headers = {"X-Shopify-Access-Token": sandbox.token(STORE)}
    body = {"query": "{ locations(first: 1) { nodes { id } } }"}
    resp = requests.post(f"{sandbox.api_url(STORE)}/admin/api/2031-04/graphql.json", json=body, headers=headers)
    assert resp.status_code == 200
    assert resp.headers["X-Shopify-API-Version"] == "2031-04"
    resp = requests.post(f"{sandbox.api_url(STORE)}/admin/api/latest/graphql.json", json=body, headers=headers)
    assert resp.status_code == 404


def test_health_lists_stores(sandbox):
    health = sandbox.health()
    assert health["status"] == "ok"
    assert health["stores"][STORE]["token"] == f"shpat_sandbox_{STORE}"
    assert health["stores"][STORE]["api_url"] == sandbox.api_url(STORE)


def test_body_without_query_is_400(sandbox):
    resp = requests.post(sandbox.graphql_url(STORE), data=b"not json",
                         headers={"X-Shopify-Access-Token": sandbox.token(STORE)})
    assert resp.status_code == 400
