#!/usr/bin/env bash
# Many stores on Apache Airflow on this box (docs/scaling.md):
#   scripts/airflow.sh up     # LocalExecutor, PostgreSQL metadata database, sandbox stores from orchestrate/stores.yml;
#                             # prints the UI address and login
#   scripts/airflow.sh down   # stops everything `up` started
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .meltano/utilities/airflow/venv/bin/airflow ] || scripts/setup.sh
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
exec .venv/bin/python -m orchestrate.airflow_local "$@"
