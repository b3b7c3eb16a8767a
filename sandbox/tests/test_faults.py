"""Every fault kind, as a client sees it."""

import json
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from conftest import STORE

Q = "{ locations(first: 5) { nodes { id } } }"


def test_http_429_with_retry_after_counts_as_throttled(fresh, fresh_client):
    fresh.reset_log()
    fresh.add_fault("http_429", count=2, retry_after=2)
    for _ in range(2):
        resp = fresh_client.post(Q)
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
        assert resp.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert fresh_client.post(Q).status_code == 200
    log = fresh.log()
    assert log["throttled"] == 2 and log["status_counts"] == {"429": 2, "200": 1}


def test_throttled_fault_is_http_200(fresh, fresh_client):
    fresh.add_fault("throttled")
    body = fresh_client(Q)
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 3 * 1  # first: 5 -> m = 3
    assert fresh.log()["throttled"] == 1


@pytest.mark.parametrize("kind,status", [("http_500", 500), ("http_503", 503)])
def test_server_errors(fresh, fresh_client, kind, status):
    fresh.add_fault(kind)
    resp = fresh_client.post(Q)
    assert resp.status_code == status
    assert "errors" in resp.json()
    assert fresh_client.post(Q).status_code == 200


def test_latency(fresh, fresh_client):
    fresh.add_fault("latency", delay_ms=300)
    started = time.monotonic()
    assert "data" in fresh_client(Q)
    assert time.monotonic() - started >= 0.3


def test_reset_closes_without_answer(fresh, fresh_client):
    fresh.add_fault("reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(fresh_client.url, json={"query": Q}, headers={"X-Shopify-Access-Token": fresh.token()})
    assert fresh_client.post(Q).status_code == 200


def test_malformed_json(fresh, fresh_client):
    fresh.add_fault("malformed")
    resp = fresh_client.post(Q)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        json.loads(resp.text)


def test_truncated_body(fresh):
    fresh.add_fault("truncated")
    # raw socket: the declared Content-Length is larger than what arrives before the close
    url = urlsplit(fresh.graphql_url(STORE))
    body = json.dumps({"query": Q}).encode()
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"POST " + url.path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"X-Shopify-Access-Token: " + fresh.token().encode() + b"\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, payload = raw.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    assert 0 < len(payload) < length
    fresh.add_fault("truncated")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        requests.post(fresh.graphql_url(STORE), json={"query": Q},
                      headers={"X-Shopify-Access-Token": fresh.token()}).json()


@pytest.mark.parametrize("status", [403, 503])
def test_html_firewall_page(fresh, fresh_client, status):
    fresh.add_fault("html", status=status)
    resp = fresh_client.post(Q)
    assert resp.status_code == status
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.text.lstrip().startswith("<!DOCTYPE html>")


def test_faults_queue_in_order_and_clear(fresh, fresh_client):
    fresh.add_fault("http_500")
    fresh.add_fault("http_503")
    assert [fresh_client.post(Q).status_code for _ in range(3)] == [500, 503, 200]
    fresh.add_fault("http_500", count=5)
    fresh.clear_faults()
    assert fresh_client.post(Q).status_code == 200


def test_faults_do_not_hit_control_api_or_bad_auth(fresh, fresh_client):
    fresh.add_fault("http_500")
    assert fresh.health()["status"] == "ok"
    assert requests.post(fresh_client.url, json={"query": Q}).status_code == 401
    assert fresh_client.post(Q).status_code == 500
