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
npm test -- --ci
echo "scaffold: a new plugin package builds and its test passes"
