#!/usr/bin/env bash
# Self-host the map's JavaScript and CSS (Leaflet etc.) under static/vendor/, so no page of the
# dashboard asks a CDN for anything. Streamlit serves static/ at /app/static/ when run with
# --server.enableStaticServing true; areaprofile/maps.py rewrites folium's CDN URLs to these copies.
#
# Idempotent: when static/vendor/MANIFEST matches the pins below and every file is in place it
# exits at once. Otherwise it fetches the pinned tarballs from the npm registry (`npm pack`, which
# goes through npm's own cache), checks each one against the sha512 pinned here, unpacks into a
# temporary folder and copies only the files the maps use.
#
# The versions are the ones folium 0.20's templates name (Map.default_js / default_css), except
# leaflet.awesome-markers: 2.0.2 was never published on npm; 2.0.5 is the same plugin.
# Usage: scripts/fetch_assets.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

dest=static/vendor

# name@version  sha512 integrity (npm view NAME@VERSION dist.integrity)
pins=(
  "leaflet@1.9.3 sha512-iB2cR9vAkDOu5l3HAay2obcUHZ7xwUBBjph8+PGtmW/2lYhbLizWtG7nTeYht36WfOslixQF9D/uSIzhZgGMfQ=="
  "jquery@3.7.1 sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg=="
  "bootstrap@5.2.2 sha512-dEtzMTV71n6Fhmbg4fYJzQsw1N29hJKO1js5ackCgIpDcGid2ETMGC6zwSYw09v05Y+oRdQ9loC54zB1La3hHQ=="
  "leaflet.awesome-markers@2.0.5 sha512-Ne/xDjkGyaujwNVVkv2tyXQUV0ZW7gZ0Mo0FuQY4jp2qWrvXi0hwDBvmZyF/8YOvybyMabTMM/mFWCTd1jZIQA=="
  "@fortawesome/fontawesome-free@6.2.0 sha512-CNR7qRIfCwWHNN7FnKUniva94edPdyQzil/zCwk3v6k4R6rR2Fr8i4s3PM7n/lyfPA6Zfko9z5WDzFxG9SW1uQ=="
  "leaflet.markercluster@1.1.0 sha512-eI+XkCiLiHwCC3uZ4/n4+Vq3rXcqEHN2lhHRVG1WVziy/3Q0TTipWkzEa1zO0dKZI2AnI5ppFDWrOjnQ7MJLKQ=="
)

# Files the maps load (relative to static/vendor/); the check for "already done" uses this list.
files=(
  leaflet/1.9.3/leaflet.js
  leaflet/1.9.3/leaflet.css
  leaflet/1.9.3/images/layers.png
  leaflet/1.9.3/images/marker-icon.png
  leaflet/1.9.3/images/marker-shadow.png
  jquery/3.7.1/jquery.min.js
  bootstrap/5.2.2/js/bootstrap.bundle.min.js
  bootstrap/5.2.2/css/bootstrap.min.css
  leaflet.awesome-markers/2.0.5/leaflet.awesome-markers.js
  leaflet.awesome-markers/2.0.5/leaflet.awesome-markers.css
  leaflet.awesome-markers/2.0.5/images/markers-soft.png
  fontawesome-free/6.2.0/css/all.min.css
  fontawesome-free/6.2.0/webfonts/fa-solid-900.woff2
  leaflet.markercluster/1.1.0/leaflet.markercluster.js
  leaflet.markercluster/1.1.0/MarkerCluster.css
  leaflet.markercluster/1.1.0/MarkerCluster.Default.css
  folium/leaflet_heat.min.js
)

stamp="$dest/MANIFEST"
want=$(printf '%s\n' "${pins[@]}" "${files[@]}" | sha256sum | cut -d' ' -f1)

complete() {
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] || return 1
  local f
  for f in "${files[@]}"; do [ -s "$dest/$f" ] || return 1; done
}

if [ "${1:-}" != "--force" ] && complete; then
  exit 0
fi

command -v npm >/dev/null || {
  echo "areaprofile: npm is needed once to fetch the map assets (apt-get install npm)." >&2
  exit 1
}

echo "areaprofile: fetching map assets from the npm registry into $dest/ ..."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

specs=()
for pin in "${pins[@]}"; do specs+=("${pin%% *}"); done
(cd "$tmp" && npm pack --silent --json "${specs[@]}" >pack.json 2>npm.log) || {
  echo "areaprofile: npm pack failed (is the npm registry reachable?):" >&2
  tail -5 "$tmp/npm.log" >&2
  exit 1
}

# Check every tarball against the pinned integrity, then unpack it into $tmp/<name>/.
python3 - "$tmp" "${pins[@]}" <<'PY'
import base64, hashlib, json, sys, tarfile
from pathlib import Path

tmp = Path(sys.argv[1])
packed = {e["id"]: e for e in json.loads((tmp / "pack.json").read_text())}
for pin in sys.argv[2:]:
    spec, integrity = pin.split()
    entry = packed[spec]
    tarball = tmp / entry["filename"]
    algo, _, want = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if got != want:
        sys.exit(f"areaprofile: {spec}: integrity mismatch ({got} != {want}); not using it.")
    name = spec.rsplit("@", 1)[0].split("/")[-1]
    out = tmp / name
    with tarfile.open(tarball) as tf:
        try:
            tf.extractall(out, filter="data")
        except TypeError:  # Python without tarfile filters (< 3.11.4): check names by hand
            if any(m.name.startswith("/") or ".." in m.name.split("/") for m in tf.getmembers()):
                sys.exit(f"areaprofile: {spec}: unsafe path in tarball.")
            tf.extractall(out)
PY

copy() {  # copy SRC (relative to $tmp) to DEST dir (relative to static/vendor), keeping names
  local dir="$dest/$2"
  mkdir -p "$dir"
  cp -R "$tmp/$1" "$dir/"
}

rm -rf "$dest.new"
real_dest=$dest
dest="$dest.new"
copy leaflet/package/dist/leaflet.js leaflet/1.9.3
copy leaflet/package/dist/leaflet.css leaflet/1.9.3
copy leaflet/package/dist/images leaflet/1.9.3
copy leaflet/package/LICENSE leaflet/1.9.3
copy jquery/package/dist/jquery.min.js jquery/3.7.1
copy jquery/package/LICENSE.txt jquery/3.7.1
copy bootstrap/package/dist/js/bootstrap.bundle.min.js bootstrap/5.2.2/js
copy bootstrap/package/dist/css/bootstrap.min.css bootstrap/5.2.2/css
copy bootstrap/package/LICENSE bootstrap/5.2.2
copy leaflet.awesome-markers/package/dist/leaflet.awesome-markers.js leaflet.awesome-markers/2.0.5
copy leaflet.awesome-markers/package/dist/leaflet.awesome-markers.css leaflet.awesome-markers/2.0.5
copy leaflet.awesome-markers/package/dist/images leaflet.awesome-markers/2.0.5
copy leaflet.awesome-markers/package/LICENSE leaflet.awesome-markers/2.0.5
copy fontawesome-free/package/css/all.min.css fontawesome-free/6.2.0/css
copy fontawesome-free/package/webfonts fontawesome-free/6.2.0
copy fontawesome-free/package/LICENSE.txt fontawesome-free/6.2.0
copy leaflet.markercluster/package/dist/leaflet.markercluster.js leaflet.markercluster/1.1.0
copy leaflet.markercluster/package/dist/MarkerCluster.css leaflet.markercluster/1.1.0
copy leaflet.markercluster/package/dist/MarkerCluster.Default.css leaflet.markercluster/1.1.0
copy leaflet.markercluster/package/MIT-LICENCE.txt leaflet.markercluster/1.1.0

# folium ships its heat-map plugin inside the Python package; copy it from the venv.
heat=$(ls .venv/lib/python3*/site-packages/folium/templates/leaflet_heat.min.js 2>/dev/null | head -1 || true)
if [ -z "$heat" ]; then
  echo "areaprofile: folium is not installed in .venv/; run scripts/setup.sh first." >&2
  exit 1
fi
mkdir -p "$dest/folium"
cp "$heat" "$dest/folium/"

cat >"$dest/README.txt" <<'TXT'
Generated by scripts/fetch_assets.sh from the npm registry (and folium's own package); do not edit.
Served by Streamlit at /app/static/vendor/... ; see areaprofile/maps.py (LOCAL_ASSETS).
TXT
echo "$want" >"$dest/MANIFEST"

# Swap in the finished folder in one step.
rm -rf "$real_dest.old"
[ -d "$real_dest" ] && mv "$real_dest" "$real_dest.old"
mv "$dest" "$real_dest"
rm -rf "$real_dest.old"
dest=$real_dest
complete || { echo "areaprofile: map assets incomplete after fetch." >&2; exit 1; }
echo "areaprofile: map assets ready in $dest/."
