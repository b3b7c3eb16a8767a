"""`InventoryTap`: what every inventory tap does the same way around its streams.

- one `SyncRun` per tap run, shared by its streams (`run`), and the store the records belong to (`store_id`);
- config checks beyond the schema: no unknown setting (the line names the nearest valid one and lists them),
  `start_date` an ISO 8601 date or date-time and not in the future, the API's base URL an http(s) URL with a
  host, plus the platform's own (`config_errors`); a warning when the base URL does not name the store the
  records will be filed under (`store_setting`);
- every selected stream's SCHEMA first, before any request: the loader creates every table even when the first
  request fails, so a channel that has never loaded still builds (empty) downstream;
- one line and exit 1 for an API error the tap has already put into words (token refused, store not found,
  retries used up), instead of a traceback; any other exception keeps its traceback, since it is a bug;
- `--test` runs the tap's `connection_check` (one line per stream, a verdict, exit 1 when a stream cannot
  sync); `--test=schema` keeps the SDK's behaviour.
"""

from __future__ import annotations

import difflib
import logging
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
    #: The setting naming the store, which a base URL set by hand should name too (None: no such check).
    store_setting: t.ClassVar[str | None] = None
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
        """Unknown settings first (a typo would otherwise pass silently), then the schema's checks, then:
        `start_date` an ISO 8601 date (or date-time) not in the future, a usable base URL, the platform's checks."""
        errors = self.unknown_settings()
        errors += super()._validate_config(raise_errors=False)
        start_date = self.config.get("start_date")
        if start_date:
            try:
                future = parse_utc(str(start_date)) > now_utc()
            except ValueError:
                errors.append(f"start_date {start_date!r} is not an ISO 8601 date: write 2025-12-05 or "
                              "2025-12-05T00:00:00Z")
            else:
                if future:
                    errors.append(f"start_date {start_date} is in the future: nothing would be read")
        url = self.config.get(self.url_setting)
        if url and not re.match(r"^https?://[^/]+", url):
            errors.append(f"{self.url_setting} {url!r} must start with http:// or https:// and a host")
        errors += self.config_errors()
        store = self.config.get(self.store_setting) if self.store_setting else None
        if not errors and url and store and str(store).lower() not in url.lower():
            self.logger.warning(
                "%s %s does not name %s %s: every record is filed under store_id %s; check both settings",
                self.url_setting, url, self.store_setting, store, store,
            )
        if errors and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        return errors

    def unknown_settings(self) -> list[str]:
        """One line per setting the tap does not know, with the nearest valid name and the valid ones."""
        known = set(self.config_jsonschema.get("properties", {}))
        unknown = sorted(set(self.config) - known)
        if not unknown:
            return []
        builtin: dict[str, t.Any] = {"properties": {}}
        type(self).append_builtin_config(builtin)  # the SDK's own settings (stream maps, flattening...)
        own = sorted(known - set(builtin["properties"]))
        lines = []
        for name in unknown:
            near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {near[0]}?)" if near else ""
            lines.append(f"unknown setting {name!r}{hint}; {self.name} takes: {', '.join(own)}")
        return lines

    def sync_all(self) -> None:
        """Every selected stream's SCHEMA before any request, then the sync: a loader creates every table even
        when the first request fails (the SDK writes each SCHEMA again when its stream starts, which loaders
        accept)."""
        for stream in self.streams.values():
            if stream.selected:
                stream._write_schema_message()  # noqa: SLF001 - the SDK's own way to write a stream's SCHEMA
        super().sync_all()

    @classmethod
    def invoke(cls, **kwargs: t.Any) -> None:  # noqa: ANN401
        """Run the sync; an API error already put into words ends it with that one line and exit 1.

        A bad config ends with its own lines last: the SDK's closing "Config validation failed" adds nothing to
        them, so it is not logged."""
        logging.getLogger(cls.name).addFilter(_NoValidationSummary())
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


class _NoValidationSummary(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:  # noqa: PLR6301
        return record.getMessage() != "Config validation failed"


__all__ = ["InventoryTap"]
