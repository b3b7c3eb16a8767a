#!/usr/bin/env bash
# Create or refresh everything the demo and the tests need: .venv for Python code and tests,
# .meltano/ for the tap, loader and dbt (each in its own virtualenv). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
  done
fi
"$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "setup: Python 3.11 or newer is needed (found $("$python_bin" --version 2>&1))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
fi
echo "setup: installing the root test environment"
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements-dev.txt

echo "setup: installing Meltano plugins (tap, loader, dbt)"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
.venv/bin/meltano --log-level=warning install
