#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the README's main-job command exactly as written (`npm run demo`), non-interactively,
# and checks what it printed: one "Apply helloworld chaos" per target, the ps output of each
# container from the daemon, and a clean end.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! LOG_FORMAT=pretty npm run --silent demo </dev/null >"$out" 2>&1; then
  cat "$out"
  echo "demo: the command failed" >&2
  exit 1
fi
fail() { cat "$out"; echo "demo: $*" >&2; exit 1; }
applies=$(grep -c 'Apply helloworld chaos' "$out")
[ "$applies" -eq 2 ] || fail "expected 2 'Apply helloworld chaos' lines, got $applies"
hellos=$(grep -c 'ps aux in container' "$out")
[ "$hellos" -eq 2 ] || fail "expected the daemon's ps output for 2 containers, got $hellos"
sleeps=$(grep -cE '^\s+1 root\s+/bin/sleep 3600$' "$out")
[ "$sleeps" -eq 2 ] || fail "expected each container's own 'sleep 3600' in the ps output, got $sleeps"
grep -q 'demo finished' "$out" || fail "the demo did not finish"
grep -E 'Apply helloworld chaos|ps aux in container|/bin/sleep 3600|demo finished' "$out"
echo "demo: OK"
