#!/usr/bin/env bash
# Prove one package stands alone, as it will on PyPI: a tap (taps/tap-*) or the kit the taps share (kit).
# Build its sdist, build the wheel FROM that sdist (so the sdist is complete), install the wheel with only its
# own dependencies in a fresh virtualenv (a tap beside the kit's wheel, built the same way: the only package of
# this repository a tap may depend on), check the version and the CHANGELOG, for a tap also --about and an
# offline --discover, and run the package's tests (unpacked from the sdist) against that install. A tap's tests
# reach the sandbox store only through its command over HTTP.
#   scripts/check-tap-alone.sh kit
#   scripts/check-tap-alone.sh taps/tap-shopify-inventory
# KIT_DIST=DIR reuses the kit's sdist and wheel built there by an earlier run (scripts/test.sh builds it once).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg_dir="$(cd "$1" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
uv="$root/.venv/bin/uv"

# `uv build` without --sdist/--wheel builds the sdist, then the wheel from the unpacked sdist.
build() {  # build DIR OUT
  "$uv" build --quiet --out-dir "$2" "$1" >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
}
kit_dist="${KIT_DIST:-$work/kit-dist}"
mkdir -p "$kit_dist"
ls "$kit_dist"/*.whl >/dev/null 2>&1 || build "$root/kit" "$kit_dist"
kit_wheel="$(ls "$kit_dist"/*.whl)"

if [ "$pkg_dir" = "$root/kit" ]; then
  name="singer-inventory-kit"
  package="singer_inventory_kit"
  dist="$kit_dist"
  wheels=("$kit_wheel")
else
  name="$(basename "$pkg_dir")"
  package="${name//-/_}"
  dist="$work/dist"
  build "$pkg_dir" "$dist"
  wheels=("$(ls "$dist"/*.whl)" "$kit_wheel")
fi
echo "== $name: build sdist and wheel, install alone, test"
wheel="${wheels[0]}"
sdist="$(ls "$dist"/*.tar.gz)"
"$uv" venv --quiet --python "$root/.venv/bin/python" "$work/venv"
"$uv" pip install --quiet --python "$work/venv/bin/python" "${wheels[@]}" --group "$pkg_dir/pyproject.toml:test"

if [ "$package" != singer_inventory_kit ]; then
  "$work/venv/bin/$name" --about --format=json >"$work/about.json"
  # --discover needs no config and no network: every proxy points at a closed port, so a request would fail.
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
    "$work/venv/bin/$name" --discover >"$work/catalog.json" 2>"$work/discover.log" \
    || { echo "--discover failed offline:"; tail -5 "$work/discover.log"; exit 1; }
fi
"$work/venv/bin/python" - "$name" "$package" "$wheel" "$sdist" "$pkg_dir" "$work" <<'PY'
import json, re, sys, tarfile, zipfile
from importlib.metadata import requires, version
from pathlib import Path

name, package, wheel, sdist, pkg_dir, work = sys.argv[1:]
work, pkg_dir = Path(work), Path(pkg_dir)
is_tap = package != "singer_inventory_kit"
problems = []

# One version, from the package's own metadata (hatch-vcs: its own tags), everywhere it shows.
installed = version(name)
shown = {
    "wheel file": Path(wheel).name.split("-")[1],
    "sdist file": Path(sdist).name[: -len(".tar.gz")].split("-")[1],
    "installed metadata": installed,
}
if is_tap:
    about = json.loads((work / "about.json").read_text())
    shown["--about"] = about.get("version")
if len(set(shown.values())) != 1:
    problems.append(f"versions disagree: {shown}")
# A release version needs its CHANGELOG entry; a development build needs an Unreleased section.
changelog = (pkg_dir / "CHANGELOG.md").read_text() if (pkg_dir / "CHANGELOG.md").exists() else ""
if not changelog:
    problems.append("CHANGELOG.md is missing")
elif re.fullmatch(r"\d+(\.\d+)*", installed):
    if not re.search(rf"^## \[{re.escape(installed)}\]", changelog, re.M):
        problems.append(f"CHANGELOG.md has no '## [{installed}]' entry for this release")
elif not re.search(r"^## \[Unreleased\]", changelog, re.M):
    problems.append("CHANGELOG.md has no '## [Unreleased]' section for this development build")

# The wheel holds the package and its metadata, nothing else from this repository.
stray = [f for f in zipfile.ZipFile(wheel).namelist() if not f.startswith((f"{package}/", f"{package}-"))]
if stray:
    problems.append(f"wheel carries files outside {package}/: {stray[:5]}")
# The sdist carries what a packager needs to rebuild and test it.
members = {m.split("/", 1)[1] for m in tarfile.open(sdist).getnames() if "/" in m}
for needed in ("pyproject.toml", "README.md", "CHANGELOG.md", "tests/conftest.py" if is_tap else "tests"):
    if needed not in members and not any(m.startswith(f"{needed}/") for m in members):
        problems.append(f"sdist lacks {needed}")

if is_tap:
    # A tap's only dependency from this repository is the kit, pinned compatible (~=).
    kit_pins = [r for r in requires(name) or [] if r.startswith("singer-inventory-kit")]
    if not kit_pins or "~=" not in kit_pins[0]:
        problems.append(f"expected a compatible-release pin of singer-inventory-kit, got {kit_pins}")
    need = {"about", "catalog", "discover", "state", "stream-maps", "schema-flattening"}
    missing = need - set(about.get("capabilities", []))
    if missing:
        problems.append(f"--about is missing capabilities: {sorted(missing)}")
    streams = [s["tap_stream_id"] for s in json.loads((work / "catalog.json").read_text())["streams"]]
    if not streams:
        problems.append("--discover listed no streams")

if problems:
    sys.exit("\n".join(f"{name}: {p}" for p in problems))
if is_tap:
    print(f"{name} {installed} (with singer-inventory-kit {version('singer-inventory-kit')}): wheel and sdist "
          f"agree, CHANGELOG ok, --about lists {sorted(need)}, offline --discover lists {len(streams)} streams")
else:
    print(f"{name} {installed}: wheel and sdist agree, CHANGELOG ok")
PY
# Tests run from the unpacked sdist, so they import the installed wheel, not the source tree.
tar -xzf "$sdist" -C "$work"
src="$(ls -d "$work/${package}"-*/)"
cd "$src"
rm -rf "$package"  # the installed wheel, never the copy beside the tests
PATH="$work/venv/bin:$root/.venv/bin:$PATH" \
  "$work/venv/bin/python" -m pytest tests -q --durations=5 -p no:cacheprovider --import-mode=importlib --rootdir "$src"
