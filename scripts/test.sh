#!/usr/bin/env bash
# Set up (including Chromium for the browser tests) and run the whole test suite on ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export AREAPROFILE_SHARED_DATA="${AREAPROFILE_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
exec .venv/bin/python -m pytest "$@"
