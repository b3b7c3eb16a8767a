"""The store list (orchestrate/stores.yml) -> the Meltano file meltano.yml includes (orchestrate/stores.meltano.yml).

    .venv/bin/python orchestrate/generate.py            # write orchestrate/stores.meltano.yml
    .venv/bin/python orchestrate/generate.py --check    # exit 1 when the committed file is stale

What it writes, for every store of the list:
- an extractor `tap-<platform>-inventory--<name>` inheriting the platform's tap (its own settings, state and
  `.meltano/run/<plugin>/` folder: Meltano 4.4 keeps state.json and the catalog per plugin name, so two stores
  never share a plugin), with the store's config and `$VARIABLE` references to its credentials;
- the serial job `inventory-sync--many-stores` (every store into DuckDB, then one dbt build) for cron;
- for the Airflow fan-out (orchestrate/dags/inventory_dags.py): one job and one schedule per store
  (`store-<platform>-<name>`: the store's plugin into the fan-out warehouse) with the schedule's
  `annotations.airflow` (platform, pool, asset), and the job `inventory-transform--<warehouse>` (dbt build)
  that Airflow runs when stores have loaded.

Bad input stops it with one line and exit code 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
STORES = ROOT / "orchestrate" / "stores.yml"
GENERATED = ROOT / "orchestrate" / "stores.meltano.yml"

REGISTRY = ROOT / "platforms.yml"
#: The platforms (channels), in the order of the platform registry platforms.yml.
PLATFORMS = tuple(p["channel"] for p in yaml.safe_load(REGISTRY.read_text())["platforms"])
#: The settings that say which store a plugin reads; every entry names it in `config`.
STORE_SETTING = {p["channel"]: p["store_setting"] for p in yaml.safe_load(REGISTRY.read_text())["platforms"]}
#: Warehouses that take several writers at once, with their Meltano environment, loader and dbt utility.
FANOUT_WAREHOUSES = {
    "postgres": {"loader": "target-postgres", "dbt": "dbt-postgres"},
    "snowflake": {"loader": "target-snowflake", "dbt": "dbt-snowflake"},
}
SERIAL_JOB = "inventory-sync--many-stores"
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CRON = re.compile(r"^\S+( \S+){4}$")

HEADER = """\
# GENERATED from orchestrate/stores.yml by `.venv/bin/python orchestrate/generate.py`: edit the store list and
# run it again, never this file (tests/orchestrate/test_store_list.py fails when it is stale).
# One extractor per store (its own state and run folder), the serial DuckDB job for cron, and the jobs and
# schedules of the Airflow fan-out (docs/scaling.md, docs/many-stores.md).
"""


class StoreListError(ValueError):
    """The store list cannot be used; the message is the one line to print."""


def tap(platform: str) -> str:
    return f"tap-{platform}-inventory"


def plugin_name(store: dict) -> str:
    return f"{tap(store['platform'])}--{store['name']}"


def store_key(store: dict) -> str:
    """`store-<platform>-<name>`: the fan-out job, schedule and Airflow DAG of one store."""
    return f"store-{store['platform']}-{store['name']}"


def pool_name(platform: str, warehouse: str) -> str:
    """The Airflow pool a store's load runs in (orchestrate/pools.json). On Snowflake a pool per platform caps the
    concurrent loads into that platform's raw tables, below the 20 statements Snowflake queues on one table lock."""
    return f"snowflake_loads_{platform}" if warehouse == "snowflake" else platform


def asset_uri(platform: str, warehouse: str) -> str:
    """The Airflow asset a store's load updates: its platform's raw schema in the warehouse."""
    return f"inventory://{warehouse}/raw_{platform}"


def meltano_project(meltano_yml: Path = ROOT / "meltano.yml", skip: tuple[Path, ...] = ()) -> dict:
    """meltano.yml with the files its `include_paths` name merged in (but `skip`), as Meltano merges them: each
    included file's plugins (per kind), jobs, schedules and environments after meltano.yml's own."""
    project = yaml.safe_load(meltano_yml.read_text()) or {}
    for pattern in project.get("include_paths", []):
        for path in sorted(meltano_yml.parent.glob(pattern)):
            if path.resolve() in {p.resolve() for p in skip}:
                continue
            included = yaml.safe_load(path.read_text()) or {}
            for kind, plugins in (included.get("plugins") or {}).items():
                project.setdefault("plugins", {}).setdefault(kind, []).extend(plugins or [])
            for key in ("jobs", "schedules", "environments"):
                if included.get(key):
                    project.setdefault(key, []).extend(included[key])
    return project


def tap_settings(project: dict) -> dict[str, dict[str, bool]]:
    """platform -> {setting name: sensitive?}, from the taps' definitions in meltano.yml."""
    found: dict[str, dict[str, bool]] = {}
    for plugin in project.get("plugins", {}).get("extractors", []):
        for platform in PLATFORMS:
            if plugin["name"] == tap(platform):
                found[platform] = {s["name"]: bool(s.get("sensitive") or s.get("kind") == "password")
                                   for s in plugin.get("settings", [])}
    return found


def validate(stores_doc: object, settings: dict[str, dict[str, bool]]) -> tuple[dict, list[dict]]:
    """The list's fan-out section and its stores, or StoreListError naming the first problem."""
    if not isinstance(stores_doc, dict) or not isinstance(stores_doc.get("stores"), list):
        raise StoreListError("the store list must be a mapping with a `stores:` list")
    unknown = set(stores_doc) - {"fanout", "stores"}
    if unknown:
        raise StoreListError(f"unknown top-level key(s) {sorted(unknown)}; expected `fanout` and `stores`")
    fanout = {"warehouse": "postgres", "every": "*/5 * * * *", **(stores_doc.get("fanout") or {})}
    if set(fanout) - {"warehouse", "every"}:
        raise StoreListError(f"fanout: unknown key(s) {sorted(set(fanout) - {'warehouse', 'every'})}")
    if fanout["warehouse"] == "duckdb":
        raise StoreListError("fanout.warehouse is duckdb, which allows one writer at a time: stores loading side by "
                             "side need postgres or snowflake; keep DuckDB for the serial job "
                             f"`{SERIAL_JOB}` on cron (docs/scaling.md)")
    if fanout["warehouse"] not in FANOUT_WAREHOUSES:
        raise StoreListError(f"fanout.warehouse {fanout['warehouse']!r} is not one of {sorted(FANOUT_WAREHOUSES)}")
    if not CRON.match(str(fanout["every"])):
        raise StoreListError(f"fanout.every {fanout['every']!r} is not a five-field cron interval")

    seen: set[tuple[str, str]] = set()
    stores = []
    for i, entry in enumerate(stores_doc["stores"], 1):
        where = f"store {i}"
        if not isinstance(entry, dict):
            raise StoreListError(f"{where}: expected a mapping with name, platform, config, credentials")
        name, platform = entry.get("name"), entry.get("platform")
        if not isinstance(name, str) or not NAME.match(name):
            raise StoreListError(f"{where}: name {name!r} must be lower-case letters and digits joined by '-'")
        where = f"store {i} ({platform}/{name})"
        if platform not in PLATFORMS:
            raise StoreListError(f"{where}: platform must be one of {', '.join(PLATFORMS)}")
        if (platform, name) in seen:
            raise StoreListError(f"{where}: listed twice; each store needs its own name")
        seen.add((platform, name))
        extra = set(entry) - {"name", "platform", "config", "credentials", "every"}
        if extra:
            raise StoreListError(f"{where}: unknown key(s) {sorted(extra)}")
        known = settings[platform]
        config, credentials = entry.get("config") or {}, entry.get("credentials") or {}
        if STORE_SETTING[platform] not in config:
            raise StoreListError(f"{where}: config must name the store ({STORE_SETTING[platform]})")
        for setting in config:
            if setting not in known:
                raise StoreListError(f"{where}: config setting {setting!r} is not a setting of {tap(platform)}")
            if known[setting]:
                raise StoreListError(f"{where}: {setting} is a secret: list the environment variable that holds it "
                                     f"under credentials, never the value")
        if "access_token" not in credentials and not (platform == "magento" and "consumer_key" in credentials):
            raise StoreListError(f"{where}: credentials must name the variable holding its access_token")
        for setting, variable in credentials.items():
            if not known.get(setting):
                raise StoreListError(f"{where}: credentials.{setting} is not a secret setting of {tap(platform)}")
            if not isinstance(variable, str) or not ENV_VAR.match(variable):
                raise StoreListError(f"{where}: credentials.{setting} must be an environment variable name, "
                                     f"like {name.upper().replace('-', '_')}_{platform.upper()}_TOKEN")
        every = entry.get("every", fanout["every"])
        if not CRON.match(str(every)):
            raise StoreListError(f"{where}: every {every!r} is not a five-field cron interval")
        stores.append({"name": name, "platform": platform, "config": dict(config),
                       "credentials": dict(credentials), "every": str(every)})
    if not stores:
        raise StoreListError("the store list has no stores")
    return fanout, stores


def meltano_file(fanout: dict, stores: list[dict]) -> dict:
    """The included Meltano file for a validated store list."""
    warehouse = fanout["warehouse"]
    parts = FANOUT_WAREHOUSES[warehouse]
    extractors = [{"name": plugin_name(s), "inherit_from": tap(s["platform"]),
                   "config": {**s["config"], **{k: f"${v}" for k, v in s["credentials"].items()}}}
                  for s in stores]
    serial = " ".join(f"{plugin_name(s)} target-duckdb" for s in stores) + " dbt-duckdb:build"
    jobs = [{"name": SERIAL_JOB, "tasks": [serial]}]
    schedules = []
    for s in stores:
        jobs.append({"name": f"{store_key(s)}--{warehouse}", "tasks": [f"{plugin_name(s)} {parts['loader']}"]})
        schedules.append({
            "name": store_key(s), "interval": s["every"], "job": f"{store_key(s)}--{warehouse}",
            "annotations": {"airflow": {"platform": s["platform"], "store": s["name"],
                                        "pool": pool_name(s["platform"], warehouse),
                                        "asset": asset_uri(s["platform"], warehouse)}}})
    platforms = [p for p in PLATFORMS if any(s["platform"] == p for s in stores)]
    # dbt builds only the channels the list has (INVENTORY_CHANNELS, transform/README.md).
    jobs.append({"name": f"inventory-transform--{warehouse}", "tasks": [f"{parts['dbt']}:build"],
                 "annotations": {"airflow": {"after_assets": [asset_uri(p, warehouse) for p in platforms],
                                             "channels": ",".join(platforms)}}})
    return {"plugins": {"extractors": extractors}, "jobs": jobs, "schedules": schedules}


def render(stores_path: Path = STORES, meltano_yml: Path = ROOT / "meltano.yml") -> str:
    """The text of the generated file, or StoreListError."""
    try:
        doc = yaml.safe_load(stores_path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise StoreListError(f"cannot read {stores_path}: {str(exc).splitlines()[0]}") from exc
    fanout, stores = validate(doc, tap_settings(meltano_project(meltano_yml)))
    body = yaml.safe_dump(meltano_file(fanout, stores), sort_keys=False, width=1000, default_flow_style=False)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=Path, default=STORES, help="the store list (default orchestrate/stores.yml)")
    parser.add_argument("--out", type=Path, default=GENERATED, help="the file to write")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when --out differs")
    args = parser.parse_args(argv)
    try:
        text = render(args.stores)
    except StoreListError as exc:
        print(f"generate: {args.stores.name}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if not args.out.exists() or args.out.read_text() != text:
            print(f"generate: {args.out.name} is stale; run .venv/bin/python orchestrate/generate.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text)
    print(f"generate: wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
          f"({text.count('inherit_from:')} stores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
