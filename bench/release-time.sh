#!/bin/sh
# Times `npm run release` from a clean checkout of the committed HEAD (the performance goal's "npm run
# release time from a clean checkout"): clone, `npm ci`, then the release build, each timed.
# Uses a temp folder and removes it; prints one summary line for BENCHMARKS.md.
#   sh bench/release-time.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aip-bench-release.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

git clone -q --no-local "$root" "$work/repo"
cd "$work/repo"
commit=$(git rev-parse --short HEAD)
start=$(now)
npm ci --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1 || { tail -20 "$work/npm-ci.log"; echo "release-time: npm ci failed" >&2; exit 1; }
ci_s=$(since "$start")
start=$(now)
npm run release >"$work/release.log" 2>&1 || { tail -30 "$work/release.log"; echo "release-time: npm run release failed" >&2; exit 1; }
release_s=$(since "$start")
archive=$(stat -c %s pkg/ai-proxy-release.tar.gz)
echo "commit $commit: npm ci ${ci_s} s, npm run release ${release_s} s (archive ${archive} bytes)"
