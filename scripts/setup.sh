#!/usr/bin/env bash
# Create or refresh everything the demo and the tests need: .venv for Python code and tests,
# .meltano/ for the taps, loaders, dbt and Airflow (each in its own virtualenv). Safe to run again.
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
# Byte-compile at install time: with PYTHONDONTWRITEBYTECODE set (as on these machines) Python otherwise
# recompiles every module of Meltano, the taps, the loader and dbt on each start of each plugin, every run.
export UV_COMPILE_BYTECODE=1
echo "setup: installing the root test environment"
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements-dev.txt

# The health report's test renders it in headless Chromium: Debian's package, installed here when missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium (headless browser for the health report test)"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium; } >/tmp/setup-chromium.log 2>&1 \
      || echo "setup: could not install chromium (see /tmp/setup-chromium.log); the report test needs it" >&2
  else
    echo "setup: chromium is missing; as root: apt-get install chromium (the report test skips without it, fails under CI)" >&2
  fi
fi

echo "setup: installing Meltano plugins (taps, loaders, dbt, Airflow for many stores)"
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
.venv/bin/meltano --log-level=warning install
