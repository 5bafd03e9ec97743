#!/usr/bin/env bash
# Fetch axe-core (the accessibility checker the browser tests run in each page) into
# tests/browser/vendor/ (gitignored). Test-only: the app never serves it.
#
# Pinned like scripts/fetch_assets.sh: `npm pack` from the npm registry, then the tarball must
# match the sha512 integrity below (npm view axe-core@VERSION dist.integrity) before it is used.
# Idempotent: exits at once when the pinned file is already in place.
# Usage: scripts/fetch_axe.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

spec="axe-core@4.14.1"
integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
dest=tests/browser/vendor/axe-core/4.14.1

if [ "${1:-}" != "--force" ] && [ -s "$dest/axe.min.js" ] && [ "$(cat "$dest/INTEGRITY" 2>/dev/null)" = "$integrity" ]; then
  exit 0
fi
command -v npm >/dev/null || {
  echo "areaprofile: npm is needed once to fetch axe-core for the tests (apt-get install npm)." >&2
  exit 1
}

echo "areaprofile: fetching $spec from the npm registry into $dest/ ..."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$spec" >name.txt 2>npm.log) || {
  echo "areaprofile: npm pack $spec failed (is the npm registry reachable?):" >&2
  tail -5 "$tmp/npm.log" >&2
  exit 1
}
tarball="$tmp/$(tail -1 "$tmp/name.txt")"
got="sha512-$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tarball")"
if [ "$got" != "$integrity" ]; then
  echo "areaprofile: $spec: integrity mismatch ($got != $integrity); not using it." >&2
  exit 1
fi
tar -xzf "$tarball" -C "$tmp" package/axe.min.js package/LICENSE
mkdir -p "$dest"
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dest/"
echo "$integrity" >"$dest/INTEGRITY"
echo "areaprofile: $spec ready in $dest/."
