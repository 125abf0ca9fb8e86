#!/bin/sh
# Installs what `npm run bench` needs beyond `npm ci`: the load generator (wrk) and nginx from
# Debian, and the Portkey gateway into bench/.peers (gitignored), exactly as pinned by
# bench/peers.package.json and bench/peers.package-lock.json.
# Run as root from the repository root or anywhere: sh bench/setup.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
missing=''
for tool in wrk nginx; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench/setup.sh: missing$missing; run as root (sudo sh bench/setup.sh) to install them" >&2
    exit 1
  fi
  echo "[setup] apt-get install wrk nginx-light"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
fi
mkdir -p "$here/.peers"
if ! cmp -s "$here/peers.package-lock.json" "$here/.peers/package-lock.json" || [ ! -d "$here/.peers/node_modules/@portkey-ai/gateway" ]; then
  echo "[setup] npm ci @portkey-ai/gateway into bench/.peers"
  cp "$here/peers.package.json" "$here/.peers/package.json"
  cp "$here/peers.package-lock.json" "$here/.peers/package-lock.json"
  # --ignore-scripts: the gateway's postinstall is patch-package, and it ships no patches.
  (cd "$here/.peers" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
echo "[setup] ready: npm run bench"
