# shellcheck shell=sh
# Helpers shared by the release steps (sourced, POSIX sh). Each step prints what it made,
# how big it is and how long it took, so a slow or oversized step is visible in every build log.

say() { printf '[release] %s\n' "$*"; }

fail() {
  printf '[release] error: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }

# Human size of a file or folder, in MiB with one decimal (bytes below 1 MiB).
size_of() {
  if [ -d "$1" ]; then bytes=$(du -sb "$1" | cut -f1); else bytes=$(wc -c <"$1" | tr -d ' '); fi
  if [ "$bytes" -ge 1048576 ]; then
    awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'
  else
    printf '%s bytes' "$bytes"
  fi
}

# step NAME COMMAND...: runs one build step and prints its duration.
step() {
  step_name=$1
  shift
  say "== $step_name"
  step_start=$(now_ms)
  "$@"
  step_ms=$(($(now_ms) - step_start))
  say "   $step_name took $(awk -v m="$step_ms" 'BEGIN { printf "%.1f s", m / 1000 }')"
}

made() { say "   made ${1#"${ROOT:-}"/} ($(size_of "$1"))"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Node's arch names (x64, arm64) to the names Debian and the ELF tools use.
deb_arch() { case $1 in x64) echo amd64 ;; arm64) echo arm64 ;; *) fail "unknown arch $1" ;; esac; }
gnu_triplet() { case $1 in x64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; *) fail "unknown arch $1" ;; esac; }
