# shellcheck shell=sh
# A private apt for Debian bookworm (sourced, POSIX sh): its own sources, lists and cache under
# .build/apt, so the runtime libraries come from Debian's signed archive at pinned versions,
# never from whatever the build machine has installed or configured (Ubuntu CI runners included).
# Needs: apt-get, the debian-archive-keyring package, and network access to deb.debian.org.

APT_SUITE=bookworm
APT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

apt_private() {
  apt_dir=$BUILD_DIR/apt
  [ -f "$APT_KEYRING" ] || fail "$APT_KEYRING is missing: install it with: apt-get install debian-archive-keyring"
  mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/parts" "$apt_dir/etc/preferences"
  [ -f "$apt_dir/state/status" ] || : >"$apt_dir/state/status"
  cat >"$apt_dir/etc/sources.list" <<SOURCES
deb [signed-by=$APT_KEYRING] http://deb.debian.org/debian $APT_SUITE main
deb [signed-by=$APT_KEYRING] http://deb.debian.org/debian $APT_SUITE-updates main
deb [signed-by=$APT_KEYRING] http://deb.debian.org/debian-security $APT_SUITE-security main
SOURCES
  # Timeouts and no retries: an unreachable mirror must fail in seconds, not hang the build.
  apt-get -q \
    -o Dir::State="$apt_dir/state" -o Dir::State::status="$apt_dir/state/status" \
    -o Dir::Cache="$apt_dir/cache" -o Dir::Etc::SourceList="$apt_dir/etc/sources.list" \
    -o Dir::Etc::SourceParts=- -o Dir::Etc::Parts="$apt_dir/etc/parts" \
    -o Dir::Etc::PreferencesParts="$apt_dir/etc/preferences" \
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o APT::Sandbox::User=root -o Acquire::Retries=0 -o Acquire::http::Timeout=20 \
    -o Debug::NoLocking=1 "$@"
}

apt_private_cache() {
  apt-cache -q \
    -o Dir::State="$BUILD_DIR/apt/state" -o Dir::State::status="$BUILD_DIR/apt/state/status" \
    -o Dir::Cache="$BUILD_DIR/apt/cache" -o Dir::Etc::SourceList="$BUILD_DIR/apt/etc/sources.list" \
    -o Dir::Etc::SourceParts=- -o Dir::Etc::Parts="$BUILD_DIR/apt/etc/parts" \
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 "$@"
}

apt_private_update() {
  [ -n "${APT_UPDATED:-}" ] && return 0
  apt_private update >"$BUILD_DIR/apt-update.log" 2>&1 ||
    fail "could not read Debian's package index from deb.debian.org (see $BUILD_DIR/apt-update.log): check the network, then rerun"
  APT_UPDATED=1
}
