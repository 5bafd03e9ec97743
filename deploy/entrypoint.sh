#!/usr/bin/env bash
# The container's start: build the store on the /data volume from /source the first time, then serve.
# XSRF protection stays on (Streamlit's default); the proxy in front passes its cookie and header.
set -euo pipefail
if [ ! -f "$AREAPROFILE_STORE" ]; then
  if [ -d "$AREAPROFILE_SOURCE/police_uk" ]; then
    areaprofile build --source "$AREAPROFILE_SOURCE" --store "$AREAPROFILE_STORE"
  else
    echo "areaprofile: no store at $AREAPROFILE_STORE and no data at $AREAPROFILE_SOURCE;" \
         "mount a folder laid out like shared/data there (see README, 'Hosting')." >&2
  fi
fi
exec streamlit run serve.py --server.address 0.0.0.0 --server.port 8501 --server.headless true \
  --server.enableStaticServing true --browser.gatherUsageStats false "$@"
