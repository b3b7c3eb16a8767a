"""Settings from environment variables: ``INVENTORY_PUSH_*`` (Meltano exports the utility's settings under these
names) and, for the stores, the variables the taps read (``TAP_SHOPIFY_INVENTORY_*``, ``TAP_BIGCOMMERCE_INVENTORY_*``,
``TAP_MAGENTO_INVENTORY_*``), which an ``INVENTORY_PUSH_<PLATFORM>_*`` variable of the same name overrides (a
write-scoped token when the taps' token is read-only). Secrets are kept out of ``repr`` and never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PREFIX = "INVENTORY_PUSH_"
WAREHOUSES = ("duckdb", "postgres", "snowflake")
TAPS = {"shopify": "TAP_SHOPIFY_INVENTORY_", "bigcommerce": "TAP_BIGCOMMERCE_INVENTORY_",
        "magento": "TAP_MAGENTO_INVENTORY_"}
DEFAULT_SHOPIFY_VERSION = "2026-10"  # the taps' default
# seconds after our own write before a read is trusted, per channel: BigCommerce's Inventory API is asynchronous,
# Shopify's and Magento's reads show a write once it is answered
DEFAULT_SETTLE = "bigcommerce:120"


class SettingsError(ValueError):
    """A setting that cannot be used; the message is the one line to print."""


@dataclass(frozen=True)
class ShopifyStore:
    store: str
    access_token: str = field(repr=False)
    api_version: str = DEFAULT_SHOPIFY_VERSION
    api_url: str = ""  # replaces https://{store}.myshopify.com (the sandbox's {url}/stores/{store})
    reason: str = "correction"

    @property
    def store_id(self) -> str:
        return self.store

    @property
    def graphql_url(self) -> str:
        base = (self.api_url or f"https://{self.store}.myshopify.com").rstrip("/")
        return f"{base}/admin/api/{self.api_version}/graphql.json"


@dataclass(frozen=True)
class BigCommerceStore:
    store_hash: str
    access_token: str = field(repr=False)
    api_url: str = ""  # replaces https://api.bigcommerce.com/stores/{store_hash}
    sole_writer: bool = False  # nothing else writes this store's stock: absolute adjustments are safe
    reason: str = "inventory-push"

    @property
    def store_id(self) -> str:
        return self.store_hash

    @property
    def base(self) -> str:
        return (self.api_url or f"https://api.bigcommerce.com/stores/{self.store_hash}").rstrip("/")


@dataclass(frozen=True)
class MagentoStore:
    base_url: str
    store_code: str = "default"
    store_id_setting: str = ""
    auth_method: str = "bearer"  # bearer | oauth1
    access_token: str = field(default="", repr=False)
    consumer_key: str = field(default="", repr=False)
    consumer_secret: str = field(default="", repr=False)
    access_token_secret: str = field(default="", repr=False)
    oauth_signature_method: str = "HMAC-SHA256"
    batch_size: int = 100

    @property
    def store_id(self) -> str:
        return self.store_id_setting or (urlsplit(self.base_url).hostname or "")

    @property
    def rest(self) -> str:
        return f"{self.base_url.rstrip('/')}/rest/{self.store_code}/V1"


@dataclass(frozen=True)
class Settings:
    warehouse: str = "duckdb"
    path: str = "output/warehouse.duckdb"
    schema: str = "analytics"
    plan_table: str = "fct_inventory_push_plan"
    audit_schema: str = "push"
    apply: bool = False
    max_changes: int = 500
    max_change_units: int = 500
    max_change_percent: float = 200.0
    max_change_percent_min_units: int = 10
    max_zero_out_percent: float = 30.0
    max_record_age_minutes: float = 60.0
    settle_seconds: Mapping[str, float] = field(  # per channel ("*": every other one)
        default_factory=lambda: _per_channel(DEFAULT_SETTLE, PREFIX + "SETTLE_SECONDS"))
    timeout_seconds: float = 30.0
    max_retries: int = 4
    reference_uri: str = "gid://inventory-push/PushPlan/{plan_id}"
    shopify: ShopifyStore | None = None
    bigcommerce: BigCommerceStore | None = None
    magento: MagentoStore | None = None

    def settle_for(self, channel: str) -> float:
        """Seconds after our own write to a level before a read of it is trusted, on ``channel``."""
        return self.settle_seconds.get(channel, self.settle_seconds.get("*", 0.0))

    def store(self, channel: str):
        return {"shopify": self.shopify, "bigcommerce": self.bigcommerce, "magento": self.magento}.get(channel)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        default = cls()

        def get(name: str, fallback: object = "") -> str:
            value = env.get(PREFIX + name.upper())
            return str(fallback) if value is None or value == "" else value

        def number(name: str, kind: type):
            raw = get(name, getattr(default, name))
            try:
                return kind(raw)
            except ValueError:
                raise SettingsError(f"{PREFIX}{name.upper()} must be a number, got {raw!r}") from None

        def store(platform: str, name: str, fallback: str = "") -> str:
            """``INVENTORY_PUSH_<PLATFORM>_<NAME>``, else the tap's ``TAP_..._<NAME>``."""
            own = env.get(f"{PREFIX}{platform.upper()}_{name.upper()}")
            if own:
                return own
            return env.get(f"{TAPS[platform]}{name.upper()}") or fallback

        settings = cls(
            warehouse=get("warehouse", default.warehouse).lower(),
            path=env.get(PREFIX + "PATH") or env.get("WAREHOUSE_PATH") or default.path,
            schema=get("schema", default.schema),
            plan_table=get("plan_table", default.plan_table),
            audit_schema=get("audit_schema", default.audit_schema),
            apply=_boolean(get("apply", "false"), PREFIX + "APPLY"),
            max_changes=int(number("max_changes", int)),
            max_change_units=int(number("max_change_units", int)),
            max_change_percent=float(number("max_change_percent", float)),
            max_change_percent_min_units=int(number("max_change_percent_min_units", int)),
            max_zero_out_percent=float(number("max_zero_out_percent", float)),
            max_record_age_minutes=float(number("max_record_age_minutes", float)),
            settle_seconds=_per_channel(get("settle_seconds", DEFAULT_SETTLE), PREFIX + "SETTLE_SECONDS"),
            timeout_seconds=float(number("timeout_seconds", float)),
            max_retries=int(number("max_retries", int)),
            reference_uri=get("reference_uri", default.reference_uri),
            shopify=_shopify(store, get),
            bigcommerce=_bigcommerce(store, get),
            magento=_magento(store, get),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.warehouse not in WAREHOUSES:
            raise SettingsError(f"{PREFIX}WAREHOUSE must be one of {', '.join(WAREHOUSES)}, got {self.warehouse!r}")
        for name in ("max_changes", "max_change_units", "max_retries"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{PREFIX}{name.upper()} must be 0 or more")
        if not 0 <= self.max_zero_out_percent <= 100:
            raise SettingsError(f"{PREFIX}MAX_ZERO_OUT_PERCENT must be between 0 and 100")
        if self.magento and self.magento.auth_method not in ("bearer", "oauth1"):
            raise SettingsError(f"magento auth_method must be bearer or oauth1, got {self.magento.auth_method!r}")


def _boolean(value: str, name: str) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _per_channel(value: str, name: str) -> dict[str, float]:
    """``120`` (every channel) or ``bigcommerce:120,shopify:0`` (unnamed channels: 0, or the bare value)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in str(value).split(","))):
        channel, _, number = part.rpartition(":")
        channel = channel.strip().lower() or "*"
        if channel not in (*TAPS, "*"):
            raise SettingsError(f"{name}: unknown channel {channel!r} (known: {', '.join(TAPS)})")
        try:
            seconds = float(number)
        except ValueError:
            raise SettingsError(f"{name} must be seconds (120) or channel:seconds,... "
                                f"(bigcommerce:120,shopify:0), got {value!r}") from None
        if seconds < 0:
            raise SettingsError(f"{name} must be 0 or more, got {value!r}")
        out[channel] = seconds
    return out


def _shopify(store, get) -> ShopifyStore | None:
    name, token = store("shopify", "store"), store("shopify", "access_token")
    if not (name and token):
        return None
    return ShopifyStore(name, token, store("shopify", "api_version", DEFAULT_SHOPIFY_VERSION),
                        store("shopify", "api_url"), get("shopify_reason", "correction"))


def _bigcommerce(store, get) -> BigCommerceStore | None:
    name, token = store("bigcommerce", "store_hash"), store("bigcommerce", "access_token")
    if not (name and token):
        return None
    return BigCommerceStore(name, token, store("bigcommerce", "api_url"),
                            _boolean(get("bigcommerce_sole_writer", "false"), PREFIX + "BIGCOMMERCE_SOLE_WRITER"),
                            get("bigcommerce_reason", "inventory-push"))


def _magento(store, get) -> MagentoStore | None:
    base = store("magento", "base_url")
    method = store("magento", "auth_method", "bearer").lower()
    token = store("magento", "access_token")
    if not base or not token:
        return None
    try:
        batch = int(get("magento_batch_size", 100))
    except ValueError:
        raise SettingsError(f"{PREFIX}MAGENTO_BATCH_SIZE must be a number") from None
    return MagentoStore(base, store("magento", "store_code", "default"), store("magento", "store_id"), method, token,
                        store("magento", "consumer_key"), store("magento", "consumer_secret"),
                        store("magento", "access_token_secret"),
                        store("magento", "oauth_signature_method", "HMAC-SHA256"), max(1, batch))
