#!/bin/sh
# Makes rootfs/ for the FROM-scratch image: the ELF loader and the shared libraries the
# executable needs, taken from the Debian packages pinned in release-template/rootfs.lock
# (sha256-checked), plus /etc/passwd, /etc/group (ai-proxy 1001) and /etc/nsswitch.conf.
# Usage: rootfs.sh ARCH EXECUTABLE OUT_DIR
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/release/lib.sh"
. "$ROOT/scripts/release/apt.sh"
ARCH=$1 EXE=$2 OUT=$3
BUILD_DIR=${BUILD_DIR:-$ROOT/.build}
LOCK=${ROOTFS_LOCK:-$ROOT/release-template/rootfs.lock}
DEBS=$BUILD_DIR/debs
REFRESH='sh scripts/refresh-rootfs-lock.sh'
DEB_ARCH=$(deb_arch "$ARCH")
TRIPLET=$(gnu_triplet "$ARCH")

[ -f "$LOCK" ] || fail "$LOCK is missing: run $REFRESH"
mkdir -p "$DEBS"
unpacked=$(mktemp -d "$BUILD_DIR/unpacked.XXXXXX")
trap 'rm -rf "$unpacked"' EXIT

# 1. The pinned packages: from the cache when the sha256 matches, else from Debian.
grep -v '^#' "$LOCK" | awk -v a="$DEB_ARCH" '$2 == a' >"$unpacked/lines"
[ -s "$unpacked/lines" ] || fail "$LOCK pins no packages for $DEB_ARCH: run $REFRESH"
while read -r pkg arch version sha file; do
  deb=$DEBS/$(basename "$file")
  if [ ! -f "$deb" ] || [ "$(sha256_of "$deb")" != "$sha" ]; then
    apt_private_update
    rm -rf "$DEBS/partial" && mkdir -p "$DEBS/partial"
    (cd "$DEBS/partial" && apt_private download "$pkg:$arch=$version" >"$BUILD_DIR/apt-download.log" 2>&1) ||
      fail "Debian no longer serves $pkg:$arch $version (a point or security release replaced it): run $REFRESH, check the diff and commit release-template/rootfs.lock"
    got=$(sha256_of "$DEBS/partial/$(basename "$file")")
    [ "$got" = "$sha" ] || fail "$pkg:$arch $version has sha256 $got, the lock says $sha: the pin is wrong or the download was tampered with; run $REFRESH and review"
    mv "$DEBS/partial/$(basename "$file")" "$deb"
  fi
  say "   $pkg:$arch $version sha256 $sha"
  dpkg-deb -x "$deb" "$unpacked/root"
done <"$unpacked/lines"

# 2. The loader and the closure of DT_NEEDED libraries, copied as regular files (no symlinks
# in the archive) at the paths glibc's loader searches by default.
rm -rf "$OUT" && mkdir -p "$OUT"
interp=$(readelf -l "$EXE" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || fail "$EXE has no ELF interpreter: is it a Linux $ARCH executable?"
copy_from_debs() { # copy_from_debs PATH_IN_ROOTFS
  src=$unpacked/root$1
  [ -e "$src" ] || fail "$1 is not in the pinned packages: add its package to $LOCK with $REFRESH"
  # Resolve symlinks inside the unpacked tree (absolute targets point into it, not the host).
  while [ -L "$src" ]; do
    target=$(readlink "$src")
    case $target in /*) src=$unpacked/root$target ;; *) src=$(dirname "$src")/$target ;; esac
  done
  mkdir -p "$OUT$(dirname "$1")"
  cp "$src" "$OUT$1"
}
copy_from_debs "$interp"
queue=$(readelf -d "$EXE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
seen=' '
while [ -n "$queue" ]; do
  # shellcheck disable=SC2086 # split the space-separated queue on purpose
  set -- $queue
  lib=$1
  shift
  queue=$*
  case $seen in *" $lib "*) continue ;; esac
  seen="$seen$lib "
  path=''
  for dir in /lib/$TRIPLET /usr/lib/$TRIPLET; do
    if [ -e "$unpacked/root$dir/$lib" ]; then path=$dir/$lib && break; fi
  done
  [ -n "$path" ] || fail "$lib (needed by the executable) is in none of the pinned packages: add its package to $LOCK"
  # The loader is also listed as NEEDED; it is already in place at the interpreter path.
  if [ "$lib" = "$(basename "$interp")" ]; then continue; fi
  [ -e "$OUT$path" ] || copy_from_debs "$path"
  queue="$queue $(readelf -d "$OUT$path" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
done

# 3. The licences of what is shipped (glibc, and gcc's runtime libraries via gcc-12-base).
for doc in "$unpacked"/root/usr/share/doc/*/copyright; do
  if [ ! -f "$doc" ] || [ -L "$(dirname "$doc")" ]; then continue; fi
  mkdir -p "$OUT/usr/share/doc/$(basename "$(dirname "$doc")")"
  cp "$doc" "$OUT/usr/share/doc/$(basename "$(dirname "$doc")")/copyright"
done

# 4. The user the image runs as, and name-service rules for the files glibc reads.
mkdir -p "$OUT/etc"
printf 'root:x:0:0:root:/root:/sbin/nologin\nai-proxy:x:1001:1001:ai-proxy:/app:/sbin/nologin\n' >"$OUT/etc/passwd"
printf 'root:x:0:\nai-proxy:x:1001:\n' >"$OUT/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$OUT/etc/nsswitch.conf"
say "   rootfs: $(find "$OUT" -type f | wc -l | tr -d ' ') files, $(size_of "$OUT")"
