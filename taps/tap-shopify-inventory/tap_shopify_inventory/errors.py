"""What Shopify answers instead of data, in one line each.

How the stream treats each answer (`ShopifyInventoryStream.check_response`):

- HTTP 401, 404, 403 and `ACCESS_DENIED` (a missing scope, named), other 4xx, other GraphQL errors: fatal;
- HTTP 429, and `THROTTLED` in an HTTP 200 answer: `ThrottledError`, waited out as long as Shopify implies
  (`Retry-After`, else `CostGovernor.throttle_wait`), never counted as a failure;
- `MAX_COST_EXCEEDED`, or a `THROTTLED` page that could never fit the bucket: `PageTooCostlyError`, retried at
  once with a smaller page;
- 5xx and bodies that are not JSON (firewall pages, truncated answers): retried with backoff.
"""

from __future__ import annotations

import re
import typing as t

from singer_inventory_kit import ThrottledError

if t.TYPE_CHECKING:
    import requests

#: Every scope the tap needs, named in every missing-scope message.
SCOPES_NEEDED = "read_inventory, read_products, read_locations"


class PageTooCostlyError(ThrottledError):
    """The page was too expensive; retried at once with the smaller page size (not a rate-limit wait)."""

    rate_limited = False


def retry_after(response: requests.Response) -> float | None:
    """The `Retry-After` header in seconds, if it is a number."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_text(response: requests.Response) -> str:
    """Shopify's `errors` (a string or a list of `{message}`) as one line."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())
    errors = body.get("errors") if isinstance(body, dict) else body
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return " ".join(str(errors).split())


def not_json_message(endpoint: str, response: requests.Response) -> str:
    """An HTML firewall page (any status), a truncated or malformed body."""
    content_type = response.headers.get("Content-Type", "no content type")
    snippet = " ".join(response.text[:80].split())
    return (
        f"expected JSON from {endpoint}, got {content_type} "
        f"(HTTP {response.status_code}, {len(response.content)} bytes): {snippet!r}"
    )


def missing_scope_message(store: str, stream: str, detail: str, required_scopes: t.Sequence[str]) -> str:
    """Access denied: the scopes the answer names (else those the stream needs)."""
    named = sorted(set(re.findall(r"\bread_[a-z_]+", detail or "")))
    scopes = ", ".join(named or required_scopes)
    return (
        f"Shopify denied access for store {store} in stream {stream}: "
        f"the access token is missing scope {scopes} (the tap needs {SCOPES_NEEDED})"
    )


def graphql_errors(errors: t.Any) -> list[dict]:  # noqa: ANN401
    """The `errors` of an answer as a list of error objects."""
    if isinstance(errors, str):
        return [{"message": errors}]
    if not isinstance(errors, list):
        return [{"message": str(errors)}]
    return errors


def graphql_error_message(store: str, stream: str, errors: list[dict]) -> str:
    """Any other GraphQL error: the first one's message and code."""
    first_error = errors[0] if errors else {}
    code = (first_error.get("extensions") or {}).get("code") or "no code"
    message = " ".join(str(first_error.get("message", "unknown error")).split())
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Shopify GraphQL error for store {store} in stream {stream}: {message} [code {code}]{more}"


__all__ = [
    "PageTooCostlyError",
    "error_text",
    "graphql_error_message",
    "graphql_errors",
    "missing_scope_message",
    "not_json_message",
    "retry_after",
]
