#!/usr/bin/env bash
# Prove one tap stands alone, as it will on PyPI: build its wheel, install it with only its own
# dependencies in a fresh virtualenv, check --about, and run its tests against that install.
# The tests reach the sandbox store only through its command (inventory-sandbox) over HTTP.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tap_dir="$(cd "$1" && pwd)"
name="$(basename "$tap_dir")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== $name: build, install alone, test"
"$root/.venv/bin/python" -m build --wheel --outdir "$work/dist" "$tap_dir" >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log"; exit 1; }
wheel="$(ls "$work"/dist/*.whl)"
"$root/.venv/bin/uv" venv --quiet --python "$root/.venv/bin/python" "$work/venv"
"$root/.venv/bin/uv" pip install --quiet --python "$work/venv/bin/python" "$wheel" \
  --group "$tap_dir/pyproject.toml:test"

"$work/venv/bin/$name" --about --format=json >"$work/about.json"
"$work/venv/bin/python" - "$work/about.json" <<'PY'
import json, sys
about = json.load(open(sys.argv[1]))
need = {"about", "catalog", "discover", "state", "stream-maps", "schema-flattening"}
missing = need - set(about.get("capabilities", []))
if missing:
    sys.exit(f"--about is missing capabilities: {sorted(missing)}")
print(f"--about lists {sorted(need)}")
PY
# Tests run from a copy, so they import the installed wheel, not the source tree.
cp -r "$tap_dir/tests" "$work/tests"
cp "$tap_dir/pyproject.toml" "$tap_dir/README.md" "$work/"  # its pytest settings; the README table test
cd "$work"
PATH="$work/venv/bin:$root/.venv/bin:$PATH" \
  "$work/venv/bin/python" -m pytest tests -q -p no:cacheprovider --import-mode=importlib --rootdir "$work"
