#!/usr/bin/env bash
# Create .venv/ inside the repo and install the pinned stack (idempotent, fast on re-runs).
# Usage: scripts/setup.sh [--test]   (--test also installs what the tests need: Chromium, poppler)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  echo "areaprofile: creating .venv/ ..."
  python3 -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check uv
fi
stamp=.venv/.requirements.sha256
# "+bytecode": venvs installed before the packages were compiled get compiled once too.
want="$(sha256sum requirements.txt | cut -d' ' -f1)+bytecode"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "areaprofile: installing Python packages from requirements.txt ..."
  # --compile-bytecode: write every package's .pyc now. Python would otherwise recompile pandas & co.
  # in every new process (always, where PYTHONDONTWRITEBYTECODE=1 is set): a fresh server's first
  # page and every CLI call pay seconds for it. uv compiles the whole site-packages, old and new.
  # uv compiles only when it installs something: a venv set up before this reinstalls once.
  reinstall=()
  case "$(cat "$stamp" 2>/dev/null)" in *+bytecode) ;; *) reinstall=(--reinstall) ;; esac
  .venv/bin/uv pip install -q --python .venv/bin/python --compile-bytecode "${reinstall[@]}" -r requirements.txt
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
  echo "$want" > "$stamp"
fi

# Our own modules too (quiet and quick when nothing changed): the server's first page imports them.
.venv/bin/python -m compileall -q areaprofile views app.py serve.py >/dev/null
# And folium's Jinja templates, compiled once into areaprofile/__pycache__ (areaprofile/template_cache.py).
.venv/bin/python -m areaprofile.template_cache >/dev/null

# Map assets (Leaflet etc.) are served by the app itself, never from a CDN.
bash scripts/fetch_assets.sh

# The browser tests' accessibility checker (axe-core, pinned), into tests/browser/vendor/.
if [ "${1:-}" = "--test" ]; then
  bash scripts/fetch_axe.sh
fi

# The forum-update PDF (WeasyPrint) needs Debian's Pango and HarfBuzz and the fonts the pack names.
need=()
if command -v dpkg >/dev/null; then
  for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation fonts-dejavu-core; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
fi
if [ "${1:-}" = "--test" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  # The register's tests also run on PostgreSQL, started by the test run itself (tests/register/postgres.py).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  # The hosting recipe's reverse proxy (tests/browser/test_proxy.py runs its config file).
  [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  [ -f /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so ] || need+=(libnginx-mod-http-brotli-filter)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "areaprofile: installing ${need[*]} from Debian ..."
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "areaprofile: install ${need[*]} (e.g. sudo apt-get install ${need[*]}) for PDFs and the tests." >&2
    # The app runs without them (only the PDF download needs them); the tests do not.
    [ "${1:-}" = "--test" ] && exit 1
  fi
fi
