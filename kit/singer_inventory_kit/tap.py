"""`InventoryTap`: what every inventory tap does the same way around its streams.

- one `SyncRun` per tap run, shared by its streams (`run`), and the store the records belong to (`store_id`);
- config checks beyond the schema: `start_date` a real date-time and not in the future, the API's base URL an
  http(s) URL with a host, plus the platform's own (`config_errors`);
- one line and exit 1 for an API error the tap has already put into words (token refused, store not found,
  retries used up), instead of a traceback; any other exception keeps its traceback, since it is a bug;
- `--test` runs the tap's `connection_check` (one line per stream, a verdict, exit 1 when a stream cannot
  sync); `--test=schema` keeps the SDK's behaviour.
"""

from __future__ import annotations

import re
import sys
import typing as t

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from singer_sdk.tap_base import CliTestOptionValue

from singer_inventory_kit.connection import ConnectionTest
from singer_inventory_kit.run import SyncRun
from singer_inventory_kit.timestamps import now_utc, parse_utc

if t.TYPE_CHECKING:
    import click


class InventoryTap(Tap):
    """Base of the inventory taps (a tap still declares `name`, `config_jsonschema` and its streams)."""

    #: The setting holding the API's base URL (checked: http:// or https:// and a host).
    url_setting: t.ClassVar[str] = "api_url"
    #: The `--test` check, with the platform's outcomes.
    connection_check: t.ClassVar[type[ConnectionTest]] = ConnectionTest

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Start a run: one start time shared by all streams."""
        self.run = SyncRun()
        super().__init__(*args, **kwargs)

    @property
    def store_id(self) -> str:
        """The store every record belongs to (the value of `store_id` in records)."""
        raise NotImplementedError

    def config_errors(self) -> list[str]:  # noqa: PLR6301
        """The platform's own checks of a config the schema accepted, one line each (none by default)."""
        return []

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, then: `start_date` not in the future, a usable base URL, the platform's checks."""
        errors = super()._validate_config(raise_errors=raise_errors)
        start_date = self.config.get("start_date")
        if start_date:
            try:
                future = parse_utc(start_date) > now_utc()
            except ValueError:
                errors.append(f"start_date {start_date!r} is not an ISO-8601 date-time")
            else:
                if future:
                    errors.append(f"start_date {start_date} is in the future: nothing would be read")
        url = self.config.get(self.url_setting)
        if url and not re.match(r"^https?://[^/]+", url):
            errors.append(f"{self.url_setting} {url!r} must start with http:// or https:// and a host")
        errors += self.config_errors()
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Run the sync; an API error already put into words ends it with that one line and exit 1."""
        try:
            super().invoke(**kwargs)
        except (FatalAPIError, RetriableAPIError) as exc:
            cls.logger.error("%s", exc)  # noqa: TRY400 - one line, no traceback
            sys.exit(1)

    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: one line per stream and a verdict, exit 1 if any stream cannot sync.

        `--test=schema` keeps the SDK's behaviour (SCHEMA messages, no request).
        """
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        try:
            tap = cls(
                config=getattr(config, "config", None),
                parse_env_config=getattr(config, "parse_env", False),
                validate_config=True,
            )
        except ConfigValidationError as exc:
            for error in exc.errors:
                cls.logger.error("Config validation error: %s", error)  # noqa: TRY400 - one line, no traceback
            ctx.exit(1)
        ctx.exit(0 if cls.connection_check(tap).run() else 1)


__all__ = ["InventoryTap"]
