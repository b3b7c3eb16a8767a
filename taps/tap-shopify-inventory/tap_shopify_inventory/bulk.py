"""Bulk mode: one `bulkOperationRunQuery` per stream, rows read from the JSONL result.

The rows are the same node dicts paged mode yields, so `post_process` makes identical
records. Nested connection nodes arrive as their own lines with `__parentId` (the parent's
GID); paged mode sets the same key, so records never depend on line order.
"""

from __future__ import annotations

import json
import re
import typing as t
from urllib.parse import urlsplit

import backoff
import requests
from singer_sdk.exceptions import FatalAPIError

if t.TYPE_CHECKING:
    from tap_shopify_inventory.client import ShopifyInventoryStream

RUN_QUERY = (
    "mutation($query: String!) { bulkOperationRunQuery(query: $query) "
    "{ bulkOperation { id status } userErrors { field message } } }"
)
POLL = (
    "query($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } } }"
)
CURRENT = "query { currentBulkOperation { id status } }"
CANCEL = (
    "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { id status } userErrors { field message } } }"
)
FINISHED = {"COMPLETED", "FAILED", "CANCELED", "EXPIRED"}
IN_PROGRESS = re.compile(r"already in progress", re.IGNORECASE)
GID = re.compile(r"gid://shopify/BulkOperation/\d+")


class BulkRunner:
    """Runs one bulk query for a stream and yields its rows."""

    #: Polling backoff: first wait, growth factor and ceiling (seconds). The tap notices a
    #: finished operation at most one wait late: growing by 1.2 keeps that under a sixth of
    #: the time the operation took (1.5 lost up to a third) for a few more 1-point polls.
    poll_start = 0.2
    poll_growth = 1.2
    poll_max = 10.0
    #: Bytes read from the result at a time; its lines are decoded a batch at a time.
    download_chunk = 1 << 20

    def __init__(self, stream: ShopifyInventoryStream) -> None:
        """Bind to the stream whose query, client and logger we use."""
        self.stream = stream
        self.logger = stream.logger

    def rows(self, search: str | None) -> t.Iterator[dict]:
        """Start the operation, wait for it, stream its JSONL result."""
        query = self.stream.bulk_query(search)
        operation_id = self._start(query)
        finished = False
        try:
            operation = self._wait(operation_id)
            finished = True
        finally:
            if not finished:
                self._cancel(operation_id)
        status = operation["status"]
        if status != "COMPLETED":
            msg = (
                f"Shopify bulk operation {operation_id} for stream {self.stream.name} "
                f"(store {self.stream.store_id}) ended {status} "
                f"with errorCode {operation.get('errorCode') or 'none'}"
            )
            raise FatalAPIError(msg)
        url = operation.get("url")
        self.logger.info(
            "Bulk operation %s completed with %s objects",
            operation_id,
            operation.get("objectCount"),
        )
        if not url:  # nothing matched
            return
        yield from self._download(url)

    # -- lifecycle

    def _start(self, query: str) -> str:
        """Start our operation; if another one runs, wait for it first (never cancel it)."""
        while True:
            payload = self.stream.graphql(RUN_QUERY, {"query": query})["bulkOperationRunQuery"]
            errors = payload.get("userErrors") or []
            if not errors:
                operation_id = payload["bulkOperation"]["id"]
                self.logger.info("Started bulk operation %s for %s", operation_id, self.stream.name)
                return t.cast("str", operation_id)
            message = "; ".join(e.get("message", "") for e in errors)
            if not IN_PROGRESS.search(message):
                msg = f"Shopify refused the bulk query for stream {self.stream.name}: {message}"
                raise FatalAPIError(msg)
            other = GID.search(message)
            other_id = other.group(0) if other else self._current_operation()
            self.logger.info(
                "Another bulk operation (%s) is running on store %s: waiting for it to finish",
                other_id,
                self.stream.store_id,
            )
            if other_id:
                self._wait(other_id)

    def _current_operation(self) -> str | None:
        current = self.stream.graphql(CURRENT).get("currentBulkOperation") or {}
        return current.get("id") if current.get("status") not in FINISHED else None

    def _wait(self, operation_id: str) -> dict:
        """Poll `node(id:)` with growing waits until the operation is finished."""

        @backoff.on_predicate(
            backoff.expo,
            lambda operation: operation.get("status") not in FINISHED,
            base=self.poll_growth,
            factor=self.poll_start,
            max_value=self.poll_max,
            jitter=None,
            logger=None,
        )
        def poll() -> dict:
            node = self.stream.graphql(POLL, {"id": operation_id}).get("node")
            if not node:
                msg = f"Shopify has no bulk operation {operation_id} (store {self.stream.store_id})"
                raise FatalAPIError(msg)
            return t.cast("dict", node)

        return poll()

    def _cancel(self, operation_id: str) -> None:
        """Cancel an operation this tap started and abandoned (best effort)."""
        try:
            self.stream.graphql(CANCEL, {"id": operation_id})
            self.logger.info("Canceled our bulk operation %s", operation_id)
        except Exception:  # noqa: BLE001
            self.logger.warning("Could not cancel our bulk operation %s", operation_id)

    # -- result

    def _download(self, url: str) -> t.Iterator[dict]:
        """Stream the JSONL file; nested nodes keep their `__parentId`."""
        headers = {}
        if same_origin(url, self.stream.api_root):
            # Only our own API host gets the token; a signed storage URL needs none.
            headers["X-Shopify-Access-Token"] = self.stream.config["access_token"]
        # A plain request: the stream's session would attach the token to any host.
        with requests.get(url, headers=headers, stream=True, timeout=self.stream.timeout) as response:
            if response.status_code >= 400:  # noqa: PLR2004
                msg = f"Could not download the bulk result for stream {self.stream.name}: HTTP {response.status_code}"
                raise FatalAPIError(msg)
            skip_parents = self.stream.per_location
            for node in jsonl_objects(response.iter_content(chunk_size=self.download_chunk)):
                if skip_parents and "__parentId" not in node:
                    continue  # a location line: its levels carry its id in __parentId
                yield node


def same_origin(url: str, other: str) -> bool:
    """Whether two URLs share scheme, host and port."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def jsonl_objects(chunks: t.Iterable[bytes]) -> t.Iterator[t.Any]:
    """The values of a JSONL byte stream, blank lines skipped.

    Each chunk's complete lines are decoded with one `json.loads` of a JSON array (one call
    instead of one per line: a third of the tap's CPU per bulk record went to the calls).
    A batch that does not decode into one object per line is decoded line by line, so a
    bad line raises the same error it would alone.
    """
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        yield from _decode_lines(lines)
    yield from _decode_lines([rest])


def _decode_lines(lines: list[bytes]) -> list[t.Any]:
    texts = [text for text in (line.decode("utf-8").strip() for line in lines) if text]
    if not texts:
        return []
    try:
        values = json.loads("[" + ",".join(texts) + "]")
    except ValueError:
        values = None
    if values is None or len(values) != len(texts) or not all(type(v) is dict for v in values):
        values = [json.loads(text) for text in texts]
    return t.cast("list", values)
