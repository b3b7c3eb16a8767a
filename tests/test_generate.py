"""The platform registry (platforms.yml) and what scripts/generate.py derives from it.

- every generated file (the Meltano extractors, the Hub definitions, the README settings tables) is what the
  generator writes now, and a changed file or registry entry is reported as stale;
- the registry lists exactly the platforms the repository has: a tap, a sandbox module and a staging folder each;
- every other list of the platforms (the runner's, the sandbox's, the store list generator's, dbt's) is the
  registry's;
- a bad registry is refused with one line naming the problem.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, generator, needs, tap_dirs, which

gen = generator()
CHANNELS = gen.channels()


def test_registry_lists_every_platform_of_the_repository() -> None:
    assert [gen.tap_of(c) for c in sorted(CHANNELS)] == sorted(p.name for p in tap_dirs())
    for channel in CHANNELS:
        assert (ROOT / "sandbox" / "src" / "inventory_sandbox" / channel / "cli.py").exists(), channel
        assert (ROOT / "transform" / "models" / "staging" / channel).is_dir(), channel


def _copy_generated(dest: Path) -> Path:
    """The files the generator reads and writes, copied to `dest`."""
    for path in gen.outputs():
        rel = path.relative_to(ROOT)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)
    shutil.copy2(gen.REGISTRY, dest / "platforms.yml")
    return dest


def test_generated_files_are_current_and_drift_is_reported(tmp_path: Path) -> None:
    for tap in (gen.tap_of(c) for c in CHANNELS):
        needs(f"{tap} is not installed: run scripts/setup.sh", available=which(tap) is not None)
    assert gen.stale() == [], "generated files are stale: run .venv/bin/python scripts/generate.py"
    copy = _copy_generated(tmp_path)
    readme = copy / "taps" / gen.tap_of(CHANNELS[0]) / "README.md"
    readme.write_text(readme.read_text().replace("| Setting |", "| Settings |", 1))
    registry = yaml.safe_load((copy / "platforms.yml").read_text())
    registry["platforms"][-1]["hub"]["label"] += " (changed)"
    (copy / "platforms.yml").write_text(yaml.safe_dump(registry, sort_keys=False))
    with pytest.raises(gen.RegistryError, match="has no settings table"):
        gen.stale(copy)
    readme.write_text((ROOT / readme.relative_to(copy)).read_text())
    assert gen.stale(copy) == [str(gen.path_of(gen.tap_of(CHANNELS[-1])).relative_to(ROOT))]


def test_check_mode_exit_code(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for tap in (gen.tap_of(c) for c in CHANNELS):
        needs(f"{tap} is not installed: run scripts/setup.sh", available=which(tap) is not None)
    assert gen.main(["--check"]) == 0
    monkeypatch.setattr(gen, "stale", lambda: ["README.md"])
    assert gen.main(["--check"]) == 1
    assert capsys.readouterr().err == "generate: out of date (run scripts/generate.py): README.md\n"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["platforms"].append(dict(d["platforms"][0])), "listed twice"),
    (lambda d: d["platforms"][0].update(channel="Big-Commerce"), "lower-case letters and digits"),
    (lambda d: d["platforms"][0].pop("streams"), "keys must be"),
    (lambda d: d["platforms"][0].update(capabilities=[]), "capabilities must be a non-empty list"),
])
def test_bad_registry_is_one_line(tmp_path: Path, change, message: str) -> None:
    doc = yaml.safe_load(gen.REGISTRY.read_text())
    change(doc)
    path = tmp_path / "platforms.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(gen.RegistryError, match=message) as err:
        gen.load_registry(path)
    assert "\n" not in str(err.value)


def test_every_platform_list_is_the_registry() -> None:
    from orchestrate import generate as stores

    assert list(stores.PLATFORMS) == CHANNELS
    assert stores.STORE_SETTING == {p["channel"]: p["store_setting"] for p in gen.load_registry()}
    runner_stores = importlib.import_module("inventory_runner.stores")
    runner_cli = importlib.import_module("inventory_runner.cli")
    sandbox_cli = importlib.import_module("inventory_sandbox.cli")
    assert runner_stores.PLATFORMS == {
        gen.namespace_of(p["channel"]): (p["channel"], p["store_setting"]) for p in gen.load_registry()}
    assert list(runner_cli.CHANNELS) == CHANNELS
    assert sandbox_cli.PLATFORMS == {c: f"inventory_sandbox.{c}.cli" for c in CHANNELS}


def test_dbt_knows_the_registry_channels() -> None:
    project = yaml.safe_load((ROOT / "transform" / "dbt_project.yml").read_text())
    assert project["vars"]["known_channels"] == CHANNELS
    for section in ("models", "sources"):
        staging = project[section]["inventory"]["staging"]
        for channel in CHANNELS:
            assert staging[channel]["+enabled"] == f"{{{{ '{channel}' in (env_var('INVENTORY_CHANNELS', '') or '{channel}') }}}}"
    macro = (ROOT / "transform" / "macros" / "enabled_channels.sql").read_text()
    assert "var('known_channels')" in macro and not any(f"'{c}'" in macro for c in CHANNELS)
    spelled = [", ".join(CHANNELS), ",".join(CHANNELS), ", ".join(f"'{c}'" for c in CHANNELS)]
    for path in [*(ROOT / "transform" / "macros").glob("*.sql"), *(ROOT / "transform" / "models").rglob("*.yml"),
                 *(ROOT / "transform" / "tests").rglob("*.*")]:
        text = path.read_text()
        assert not any(s in text for s in spelled), f"{path.relative_to(ROOT)} spells out the channels: use known_channels"
    sys.path.insert(0, str(ROOT / "transform" / "lint"))
    try:
        stubs = importlib.import_module("dbt_stubs")
    finally:
        sys.path.remove(str(ROOT / "transform" / "lint"))
    assert stubs.var("known_channels") == CHANNELS and stubs.var("channels") == ",".join(CHANNELS)


def test_plugin_arguments_that_list_the_platforms_are_the_registry() -> None:
    from orchestrate.generate import meltano_project

    utilities = {p["name"]: p for p in meltano_project()["plugins"]["utilities"]}
    schemas = ",".join([*(f"raw_{c}" for c in CHANNELS), "analytics"])
    for command in ("postgres", "snowflake"):
        assert f"--schemas {schemas}" in utilities["warehouse-check"]["commands"][command]["args"]
    queues = ",".join(["default", *CHANNELS])
    assert f"--queues {queues}" in utilities["airflow"]["commands"]["celery-worker"]["args"]
