"""Shopify GraphQL Admin API client: the base stream.

`streams.py` declares *what* to fetch; this module is *how* a stream reads it, with the other concerns in
their own modules: `queries` (the GraphQL sent, and a request as a value), `pacing` (`CostGovernor`), `errors`
(Shopify's answers that are not data), `bulk` (bulk operations), and the kit (run, bookmarks, progress,
retries).

A paged read sends one `GraphQLRequest` per page through `send`: each try takes the page size the cost
governor allows at that moment (a retry after a too expensive page goes out smaller), waits until the bucket
holds what that `Page` last cost, and is checked with that same `Page`.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from singer_inventory_kit import InventoryStream, ThrottledError
from singer_sdk import SchemaDirectory, StreamSchema
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.jsonpath import extract_jsonpath
from singer_sdk.pagination import JSONPathPaginator
from singer_sdk.streams import GraphQLStream

from tap_shopify_inventory import schemas
from tap_shopify_inventory.errors import (
    PageTooCostlyError,
    error_text,
    graphql_error_message,
    graphql_errors,
    missing_scope_message,
    not_json_message,
    retry_after,
)
from tap_shopify_inventory.pacing import SINGLE_QUERY_MAX_COST, CostGovernor
from tap_shopify_inventory.queries import GraphQLRequest, Page, bulk_query, paged_query, search_filter

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

SCHEMAS = SchemaDirectory(schemas)


def gid_tail(gid: str | None) -> str | None:
    """`gid://shopify/Location/12` -> `"12"` (query string of level GIDs dropped)."""
    if not gid:
        return None
    return gid.rsplit("/", 1)[-1].split("?", 1)[0]


_NOT_DECODED = object()


def decoded_json(response: requests.Response) -> t.Any:  # noqa: ANN401
    """`response.json()`, decoded once per response and kept on it.

    Checking the answer, paging and reading the records all need the body; decoding a
    250-node page four times was a tenth of the tap's CPU time. Numbers are decoded
    as `response.json()` does (floats as `float`): the nodes the streams read carry
    Shopify's `Int`s and its `Decimal`s, which are strings. Raises `ValueError` for a
    body that is not JSON, as `response.json()` does.
    """
    body = getattr(response, "_decoded_json", _NOT_DECODED)
    if body is _NOT_DECODED:
        body = response.json()
        response._decoded_json = body  # type: ignore[attr-defined]  # noqa: SLF001
    return body


class CursorPaginator(JSONPathPaginator):
    """Relay cursor pagination over `pageInfo {hasNextPage endCursor}`."""

    def __init__(self, page_info_path: str) -> None:
        """Follow `endCursor` while `hasNextPage` is true."""
        super().__init__(f"{page_info_path}.endCursor")
        self._has_next_path = f"{page_info_path}.hasNextPage"

    def has_more(self, response: requests.Response) -> bool:
        """Stop when Shopify says there is no next page."""
        return bool(next(extract_jsonpath(self._has_next_path, decoded_json(response)), False))

    def get_next(self, response: requests.Response) -> str | None:
        """`endCursor` of the page (from the body decoded once)."""
        return next(extract_jsonpath(self._jsonpath, decoded_json(response)), None)


class ShopifyInventoryStream(InventoryStream, GraphQLStream):
    """Base stream for the Shopify GraphQL Admin API.

    A concrete stream declares the connection it reads and the fields of one node; the
    paged query, the bulk query, variables, pagination and bookmarks follow from that.
    Answers are checked by `check_response(response, page)`, which needs the page the request was sent as.
    """

    #: Connection field read by the stream (`locations`, `inventoryItems`, ...).
    connection: t.ClassVar[str] = ""
    #: Fixed arguments of that connection, e.g. `includeInactive: true`.
    connection_args: t.ClassVar[str] = ""
    #: GraphQL selection of one node.
    node_fields: t.ClassVar[str] = ""
    #: Read `connection` under `location(id:)` for every location (all of them).
    per_location: t.ClassVar[bool] = False
    #: Send `query: "updated_at:>='...'"` from the bookmark, unless `reconcile` is on.
    filter_by_updated_at: t.ClassVar[bool] = False
    #: Always a full snapshot (sync_runs.is_full_snapshot), whatever `reconcile` says.
    always_full_snapshot: t.ClassVar[bool] = False
    #: Access scopes the stream needs, named when Shopify denies access.
    required_scopes: t.ClassVar[tuple[str, ...]] = ("read_inventory",)

    schema = StreamSchema(SCHEMAS)
    path = "/graphql.json"
    throttled_by = "Throttled by Shopify"
    _since: str | None = None

    # -- configuration

    @property
    def api_root(self) -> str:
        """`https://{store}.myshopify.com`, or the configured override."""
        override = self.config.get("api_url")
        return (override or f"https://{self.store_id}.myshopify.com").rstrip("/")

    @property
    def url_base(self) -> str:
        """`{api_url}/admin/api/{api_version}`."""
        return f"{self.api_root}/admin/api/{self.config.get('api_version', '2026-10')}"

    @property
    def endpoint(self) -> str:
        """The GraphQL endpoint (no secrets in it, safe to log)."""
        return f"{self.url_base}{self.path}"

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        """Token in the `X-Shopify-Access-Token` header."""
        return APIKeyAuthenticator(
            key="X-Shopify-Access-Token",
            value=self.config["access_token"],
            location="header",
        )

    @property
    def http_headers(self) -> dict:
        """JSON in, JSON out."""
        return {"Content-Type": "application/json", "Accept": "application/json"}

    @property
    def governor(self) -> CostGovernor:
        """The run's cost governor (one bucket per store and app)."""
        return t.cast("CostGovernor", self._tap.governor)  # type: ignore[attr-defined]

    @property
    def is_full_snapshot(self) -> bool:
        """Whether this run emits every row of the stream that exists at the source."""
        return self.always_full_snapshot or bool(self.config.get("reconcile"))

    # -- queries

    @property
    def connection_path(self) -> str:
        """Where the connection sits in `data`."""
        return f"location.{self.connection}" if self.per_location else self.connection

    @property
    def records_jsonpath(self) -> str:
        """Nodes of the connection."""
        return f"$.data.{self.connection_path}.nodes[*]"

    @property
    def query(self) -> str:
        """The paged query, built from the declaration."""
        return paged_query(
            self.connection,
            self.node_fields,
            args=self.connection_args,
            per_location=self.per_location,
            filtered=self.filter_by_updated_at,
        )

    def bulk_query(self, search: str | None) -> str:
        """The same selection for `bulkOperationRunQuery` (edges, no paging arguments)."""
        return bulk_query(
            self.connection, self.node_fields, args=self.connection_args, per_location=self.per_location, search=search
        )

    def updated_since(self) -> str | None:
        """The `updated_at:>=` filter value, or None for a full read (the kit's since-window, when filtered)."""
        return self.since_window() if self.filter_by_updated_at else None

    def search_filter(self) -> str | None:
        """Shopify search syntax for `updated_since()` (quoted: compared to the second)."""
        return search_filter(self._since)

    def page_variables(self, context: Context | None, next_page_token: str | None) -> dict[str, t.Any]:
        """The variables of one page, but its size (`first` is added when it is sent)."""
        variables: dict[str, t.Any] = {"after": next_page_token}
        if self.filter_by_updated_at:
            variables["query"] = self.search_filter()
        if self.per_location:
            variables["id"] = (context or {})["location_gid"]
        return variables

    def get_new_paginator(self) -> CursorPaginator:
        """Relay cursors of this stream's connection."""
        return CursorPaginator(f"$.data.{self.connection_path}.pageInfo")

    # -- records

    def read_rows(self, context: Context | None) -> t.Iterable[dict]:
        """Rows from bulk or paged reads (the kit then bookmarks and writes the sync_runs entry)."""
        self._since = self.updated_since()
        if self.filter_by_updated_at:
            self.logger.info(
                "Reading %s %s",
                self.name,
                f"updated since {self._since}" if self._since else "in full",
            )
        if self.config.get("use_bulk"):
            from tap_shopify_inventory.bulk import BulkRunner  # noqa: PLC0415

            return BulkRunner(self).rows(self.search_filter())
        if self.per_location:
            return self._rows_per_location()
        return self.request_records(context)

    def _rows_per_location(self) -> t.Iterator[dict]:
        """Page the connection under every location; rows carry `__parentId` as in bulk."""
        locations = t.cast("ShopifyInventoryStream", self._tap.streams["locations"])
        location_gids = [node["id"] for node in locations.request_records(None)]
        for gid in location_gids:
            for node in self.request_records({"location_gid": gid}):
                node["__parentId"] = gid
                yield node

    def request_records(self, context: Context | None) -> t.Iterable[dict]:
        """Every node of the connection, page by page (an empty page ends the read, as in the SDK's paging)."""
        paginator = self.get_new_paginator()
        with self.get_http_request_counter() as request_counter:
            request_counter.with_context(context)
            while not paginator.finished:
                request = GraphQLRequest(self.query, self.page_variables(context, paginator.current_value), paged=True)
                response = self.send(request, context)
                request_counter.increment()
                nodes = iter(self.parse_response(response))
                first = next(nodes, None)
                if first is None:
                    break
                yield first
                yield from nodes
                paginator.advance(response)

    def to_record(self, row: dict) -> dict:
        """Map one GraphQL node to the normalized record (without store_id/synced_at)."""
        raise NotImplementedError

    def parse_response(self, response: requests.Response) -> t.Iterable[dict]:
        """Nodes of the page, from the body `check_response` already decoded."""
        yield from extract_jsonpath(self.records_jsonpath, input=decoded_json(response))

    # -- one-off calls (bulk operations)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """Send one GraphQL request through the same pacing, retries and checks; its `data`."""
        response = self.send(GraphQLRequest(query, variables or {}), None)
        return t.cast("dict", decoded_json(response).get("data") or {})

    # -- transport: pacing, retries, errors

    def send(self, request: GraphQLRequest, context: Context | None) -> requests.Response:
        """Send `request` with the kit's retries (failures `max_retries` times, throttling waited out)."""
        return t.cast("requests.Response", self.request_decorator(self._try)(request, context))

    def _try(self, request: GraphQLRequest, context: Context | None) -> requests.Response:
        """One try: the page at the size allowed now, a wait for the bucket, the request, the checks."""
        page = Page(request.query, self.governor.page_size(request.query) if request.paged else None)
        waited = self.governor.wait_before(page.query, page.size)
        if waited:
            self.note_wait(waited)
        prepared = self.build_prepared_request(
            method="POST", url=self.endpoint, json=request.body(page.size), headers=self.http_headers
        )
        response = self.requests_session.send(prepared, timeout=self.timeout, allow_redirects=self.allow_redirects)
        self._write_request_duration_log(endpoint=self.path, response=response, context=context, extra_tags=None)
        self.check_response(response, page)
        self.note_page()
        return response

    def check_response(self, response: requests.Response, page: Page) -> None:
        """Check the HTTP status, the body and Shopify's `errors` (which the SDK ignores) of `page`'s answer."""
        status = response.status_code
        where = f"for store {self.store_id}"
        if status == HTTPStatus.UNAUTHORIZED:
            msg = f"Shopify rejected the access token (HTTP 401) {where}: check access_token"
            raise FatalAPIError(msg)
        if status == HTTPStatus.NOT_FOUND:
            msg = f"Shopify store {self.store_id} not found (HTTP 404) at {self.endpoint}: check store and api_url"
            raise FatalAPIError(msg)

        body = self._json_or_none(response)
        cost = body.get("extensions", {}).get("cost") if isinstance(body, dict) else None
        self.governor.observe(page.query, page.size, cost)

        if status == HTTPStatus.TOO_MANY_REQUESTS:
            wait = retry_after(response)
            if wait is None:
                wait = CostGovernor.throttle_wait(cost, default=2.0)
            raise ThrottledError(f"HTTP 429 {where}", response, wait)
        if body is None:
            raise RetriableAPIError(not_json_message(self.endpoint, response), response)
        if status == HTTPStatus.FORBIDDEN:
            raise FatalAPIError(self._missing_scope(error_text(response)))
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            msg = f"Shopify answered HTTP {status} {where} at {self.endpoint}: {error_text(response)[:200]}"
            raise RetriableAPIError(msg, response)
        if status >= HTTPStatus.BAD_REQUEST or not isinstance(body, dict):
            msg = f"Shopify answered HTTP {status} {where} at {self.endpoint}: {error_text(response)[:200]}"
            raise FatalAPIError(msg)

        errors = body.get("errors")
        if errors:
            self._raise_for_graphql_errors(graphql_errors(errors), response, page, cost)
        elif isinstance(cost, dict) and page.size:
            requested = cost.get("requestedQueryCost")
            if isinstance(requested, (int, float)):
                # A served page: shrink (or grow) the next one, keep these records.
                self.governor.resize(page.query, page.size, float(requested))

    def _raise_for_graphql_errors(
        self, errors: list[dict], response: requests.Response, page: Page, cost: dict | None
    ) -> None:
        shape, first = page
        for error in errors:
            ext = error.get("extensions") or {}
            code = ext.get("code")
            if code == "MAX_COST_EXCEEDED":
                requested = ext.get("cost") or (cost or {}).get("requestedQueryCost")
                if (
                    first
                    and requested
                    and self.governor.resize(
                        shape,
                        first,
                        float(requested),
                        float(ext.get("maxCost") or SINGLE_QUERY_MAX_COST),
                    )
                ):
                    msg = f"query cost {requested} over the limit; smaller page"
                    raise PageTooCostlyError(msg, response, 0.0)
            if code == "THROTTLED":
                requested = (cost or {}).get("requestedQueryCost")
                if (
                    first
                    and isinstance(requested, (int, float))
                    and requested > self.governor.cap
                    and self.governor.resize(shape, first, float(requested))
                ):
                    msg = f"query cost {requested} can never fit the bucket; smaller page"
                    raise PageTooCostlyError(msg, response, 0.0)
                wait = CostGovernor.throttle_wait(cost)
                raise ThrottledError(f"THROTTLED for store {self.store_id}", response, wait)
            if code == "ACCESS_DENIED":
                raise FatalAPIError(self._missing_scope(error.get("message", "")))
        raise FatalAPIError(graphql_error_message(self.store_id, self.name, errors))

    def _missing_scope(self, detail: str) -> str:
        return missing_scope_message(self.store_id, self.name, detail, self.required_scopes)

    @staticmethod
    def _json_or_none(response: requests.Response) -> t.Any:  # noqa: ANN401
        try:
            return decoded_json(response)
        except ValueError:
            return None


__all__ = ["CursorPaginator", "ShopifyInventoryStream", "decoded_json", "gid_tail"]
