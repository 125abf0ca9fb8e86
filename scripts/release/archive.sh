#!/bin/sh
# Step "archive": stages the release folder and packs it reproducibly: fixed order, owner 0:0,
# modes 0755/0644, mtimes from SOURCE_DATE_EPOCH, gzip without name or time stamp. Two builds
# of one commit give byte-identical archives. gzip (not xz): the VPS needs only tar and gzip.
# Usage: archive.sh ARCH STAGE_DIR OUT_FILE   (STAGE_DIR already holds ai-proxy and rootfs/)
# Env: VERSION COMMIT SOURCE_URL SOURCE_DATE_EPOCH NODE_VERSION
#      AI_PROXY_GZIP=zopfli: pigz -11 (zopfli), ~5% smaller, minutes instead of seconds
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/release/lib.sh"
ARCH=$1 STAGE=$2 OUT=$3
TEMPLATE=$ROOT/release-template

for f in .env.example provider-config.yaml README.md INSTALL.md; do
  [ -f "$TEMPLATE/$f" ] || fail "release-template/$f is missing: the archive must ship it"
  cp "$TEMPLATE/$f" "$STAGE/$f"
done
cp "$ROOT/LICENSE" "$STAGE/LICENSE"
# Cluster definitions (docs/scale-out.md): what an operator applies, not the TypeScript that
# synthesizes the ECS template (test/deploy keeps the two equal).
mkdir -p "$STAGE/deploy/kubernetes" "$STAGE/deploy/ecs"
cp "$ROOT/deploy/README.md" "$STAGE/deploy/README.md"
cp "$ROOT"/deploy/kubernetes/*.yaml "$STAGE/deploy/kubernetes/"
cp "$ROOT/deploy/ecs/ai-proxy-fargate.template.json" "$STAGE/deploy/ecs/"
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
sed -e "s|@VERSION@|$VERSION|" -e "s|@COMMIT@|$COMMIT|" -e "s|@SOURCE@|$SOURCE_URL|" \
  -e "s|@CREATED@|$created|" "$TEMPLATE/Dockerfile" >"$STAGE/Dockerfile"
grep -q '@[A-Z]*@' "$STAGE/Dockerfile" && fail "release-template/Dockerfile has a placeholder the build does not fill"

# Executables and shared objects 0755 (the kernel maps the loader with exec permission),
# everything else 0644; no file the umask or a checkout happened to leave group-writable.
find "$STAGE" -type d -exec chmod 0755 {} +
find "$STAGE" -type f -exec chmod 0644 {} +
chmod 0755 "$STAGE/ai-proxy"
find "$STAGE/rootfs" -type f -name '*.so*' -exec chmod 0755 {} +

node "$ROOT/scripts/release/manifest.mjs" "$STAGE" "$TEMPLATE/rootfs.lock" "$(deb_arch "$ARCH")" \
  ai-proxy "$VERSION" "$COMMIT" "$ARCH" "$NODE_VERSION"
chmod 0644 "$STAGE/manifest.json"

compress() {
  case ${AI_PROXY_GZIP:-gzip} in
    gzip) gzip -9 -n ;;
    zopfli)
      command -v pigz >/dev/null || fail 'AI_PROXY_GZIP=zopfli needs pigz: apt-get install pigz'
      pigz -11 -n -c
      ;;
    *) fail "AI_PROXY_GZIP must be gzip or zopfli, not ${AI_PROXY_GZIP}" ;;
  esac
}

# Top-level names in C-locale order; --sort=name orders what is inside rootfs/.
names=$(cd "$STAGE" && LC_ALL=C ls -A)
# Two commands, not a pipe: POSIX sh has no pipefail, and a failing tar must fail the build.
# shellcheck disable=SC2086 # the names are ours and have no spaces
(cd "$STAGE" && LC_ALL=C tar --create --format=gnu --sort=name --numeric-owner --owner=0 --group=0 \
  --mtime="@$SOURCE_DATE_EPOCH" --no-acls --no-xattrs --no-selinux --file="$OUT.tar" $names)
compress <"$OUT.tar" >"$OUT.partial"
rm -f "$OUT.tar"
mv "$OUT.partial" "$OUT"
