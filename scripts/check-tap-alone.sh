#!/usr/bin/env bash
# Prove one tap stands alone, as it will on PyPI: build its sdist, build the wheel FROM that sdist (so the
# sdist is complete), install the wheel with only its own dependencies in a fresh virtualenv, check the
# version, --about and an offline --discover there, and run the tap's tests (unpacked from the sdist)
# against that install. The tests reach the sandbox store only through its command over HTTP.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tap_dir="$(cd "$1" && pwd)"
name="$(basename "$tap_dir")"
package="${name//-/_}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== $name: build sdist and wheel, install alone, test"
# `python -m build` without --wheel builds the sdist, then the wheel from the unpacked sdist.
"$root/.venv/bin/python" -m build --outdir "$work/dist" "$tap_dir" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log"; exit 1; }
wheel="$(ls "$work"/dist/*.whl)"
sdist="$(ls "$work"/dist/*.tar.gz)"
"$root/.venv/bin/uv" venv --quiet --python "$root/.venv/bin/python" "$work/venv"
"$root/.venv/bin/uv" pip install --quiet --python "$work/venv/bin/python" "$wheel" \
  --group "$tap_dir/pyproject.toml:test"

"$work/venv/bin/$name" --about --format=json >"$work/about.json"
# --discover needs no config and no network: every proxy points at a closed port, so a request would fail.
HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
  "$work/venv/bin/$name" --discover >"$work/catalog.json" 2>"$work/discover.log" \
  || { echo "--discover failed offline:"; tail -5 "$work/discover.log"; exit 1; }
"$work/venv/bin/python" - "$name" "$package" "$wheel" "$sdist" "$tap_dir" "$work" <<'PY'
import json, re, sys, tarfile, zipfile
from importlib.metadata import version
from pathlib import Path

name, package, wheel, sdist, tap_dir, work = sys.argv[1:]
work, tap_dir = Path(work), Path(tap_dir)
problems = []

# One version, from the tap's own metadata (hatch-vcs: its own tags), everywhere it shows.
installed = version(name)
about = json.loads((work / "about.json").read_text())
shown = {
    "wheel file": Path(wheel).name.split("-")[1],
    "sdist file": Path(sdist).name[: -len(".tar.gz")].split("-")[1],
    "installed metadata": installed,
    "--about": about.get("version"),
}
if len(set(shown.values())) != 1:
    problems.append(f"versions disagree: {shown}")
# A release version needs its CHANGELOG entry; a development build needs an Unreleased section.
changelog = (tap_dir / "CHANGELOG.md").read_text() if (tap_dir / "CHANGELOG.md").exists() else ""
if not changelog:
    problems.append("CHANGELOG.md is missing")
elif re.fullmatch(r"\d+(\.\d+)*", installed):
    if not re.search(rf"^## \[{re.escape(installed)}\]", changelog, re.M):
        problems.append(f"CHANGELOG.md has no '## [{installed}]' entry for this release")
elif not re.search(r"^## \[Unreleased\]", changelog, re.M):
    problems.append("CHANGELOG.md has no '## [Unreleased]' section for this development build")

# The wheel holds the tap's package and its metadata, nothing else from this repository.
stray = [f for f in zipfile.ZipFile(wheel).namelist() if not f.startswith((f"{package}/", f"{package}-"))]
if stray:
    problems.append(f"wheel carries files outside {package}/: {stray[:5]}")
# The sdist carries what a packager needs to rebuild and test it.
members = {m.split("/", 1)[1] for m in tarfile.open(sdist).getnames() if "/" in m}
for needed in ("pyproject.toml", "README.md", "CHANGELOG.md", "tests/conftest.py"):
    if needed not in members:
        problems.append(f"sdist lacks {needed}")

need = {"about", "catalog", "discover", "state", "stream-maps", "schema-flattening"}
missing = need - set(about.get("capabilities", []))
if missing:
    problems.append(f"--about is missing capabilities: {sorted(missing)}")
streams = [s["tap_stream_id"] for s in json.loads((work / "catalog.json").read_text())["streams"]]
if not streams:
    problems.append("--discover listed no streams")

if problems:
    sys.exit("\n".join(f"{name}: {p}" for p in problems))
print(f"{name} {installed}: wheel and sdist agree, CHANGELOG ok, --about lists {sorted(need)}, "
      f"offline --discover lists {len(streams)} streams")
PY
# Tests run from the unpacked sdist, so they import the installed wheel, not the source tree.
tar -xzf "$sdist" -C "$work"
src="$(ls -d "$work/${package}"-*/)"
cd "$src"
rm -rf "$package"  # the installed wheel, never the copy beside the tests
PATH="$work/venv/bin:$root/.venv/bin:$PATH" \
  "$work/venv/bin/python" -m pytest tests -q -p no:cacheprovider --import-mode=importlib --rootdir "$src"
