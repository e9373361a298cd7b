#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `npx chaosplane new plugin demo-chaos` as a plugin author outside this repository would run it:
# in a temporary directory, against the @chaosplane packages as npm would install them (`npm
# pack` tarballs of this build, since they are not on the registry yet), then the new package's
# own `npm install`, `npm run build` and `npm test`. Run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d /tmp/cp-scaffold-XXXXXX)
trap '[ -n "${KEEP_SCAFFOLD:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT

mkdir "$work/tarballs"
# Every @chaosplane package (the test kit needs the operator, the daemon and the dev plane).
workspaces=$(node -e 'for (const w of require("./package.json").workspaces) if (w.startsWith("packages/")) console.log(w)')
for w in $workspaces; do
  npm pack --silent --workspace "$w" --pack-destination "$work/tarballs" >/dev/null
done

cd "$work"
npx --prefix "$repo" chaosplane new plugin demo-chaos --chaosplane-from "$work/tarballs"
cd demo-chaos
npm install --no-audit --no-fund --loglevel=error
npm run build
# A test that skips (the test kit found no containerd) exits 0 too: the summary must say passed.
npm test -- --ci 2>&1 | tee "$work/test.log"
if ! grep -Eq '^Tests: +[1-9][0-9]* passed, [0-9]+ total$' "$work/test.log"; then
  echo "scaffold: the new plugin's tests did not all run and pass (see the summary above)" >&2
  exit 1
fi
echo "scaffold: a new plugin package builds and its test passes"
