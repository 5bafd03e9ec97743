#!/usr/bin/env bash
# Set up, build the store if there is none, and start the dashboard.
# Sources: $AREAPROFILE_SOURCE, else ../shared/data beside the clone, else ./downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source_dir="${AREAPROFILE_SOURCE:-}"
if [ -z "$source_dir" ]; then
  for candidate in ../shared/data downloads; do
    if [ -d "$candidate" ]; then source_dir=$candidate; break; fi
  done
fi
store="${AREAPROFILE_STORE:-store/areaprofile.duckdb}"
if [ ! -f "$store" ]; then
  if [ -z "$source_dir" ]; then
    echo "areaprofile: no data found. Download it first:" >&2
    echo "  .venv/bin/areaprofile download --months 2018-01..2021-09 --dest downloads" >&2
    echo "then run this command again (or set AREAPROFILE_SOURCE to a folder laid out like shared/data)." >&2
    exit 1
  fi
  .venv/bin/areaprofile build --source "$source_dir" --store "$store"
fi
export AREAPROFILE_STORE="$store"
exec .venv/bin/streamlit run serve.py --server.enableStaticServing true --server.headless true \
  --browser.gatherUsageStats false "$@"
