#!/usr/bin/env bash
# Scaffold a new platform NAME: its tap (on the kit), sandbox module, staging models and its entry in every list
# of platforms (platforms.yml first). docs/architecture.md, "Adding a platform". Usage: scripts/new-platform.sh NAME
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin=.venv/bin/python
[ -x "$python_bin" ] || { echo "new-platform: .venv is missing: run scripts/setup.sh" >&2; exit 2; }
exec "$python_bin" scripts/new_platform.py "$@"
