#!/bin/sh
# Step "launcher": writes installer.sh from release-template/installer.sh with the archive's
# sha256, version and arch, and with `ai-proxy install --help` embedded so the installer's
# flags and exit codes are defined once (installer/command/exit-codes.ts) and only copied here.
# Usage: launcher.sh ARCH ARCHIVE HELP_TEXT_FILE OUT_FILE   (env: VERSION COMMIT)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/release/lib.sh"
ARCH=$1 ARCHIVE=$2 HELP=$3 OUT=$4
grep -qx 'INSTALL_HELP' "$HELP" && fail "the installer's --help contains the line INSTALL_HELP, which would end the embedded text early"
sha=$(sha256_of "$ARCHIVE")
awk -v help="$HELP" -v version="$VERSION" -v commit="$COMMIT" -v arch="$ARCH" -v sha="$sha" '
  $0 == "@INSTALL_HELP@" { while ((getline line < help) > 0) print line; next }
  { gsub(/@VERSION@/, version); gsub(/@COMMIT@/, commit); gsub(/@ARCH@/, arch); gsub(/@ARCHIVE_SHA256@/, sha); print }
' "$ROOT/release-template/installer.sh" >"$OUT.partial"
grep -q '@[A-Z_0-9]*@' "$OUT.partial" && fail "release-template/installer.sh has a placeholder the build does not fill"
chmod 0755 "$OUT.partial"
mv "$OUT.partial" "$OUT"
