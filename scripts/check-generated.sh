#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates every generated artefact and fails when the committed copy differs.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent generate
if ! git diff --exit-code --stat -- proto packages/*/src/gen deploy/crds deploy/rbac; then
  echo "generated files are out of date: run 'npm run generate' and commit the result" >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- packages/*/src/gen deploy/crds deploy/rbac)
if [ -n "$untracked" ]; then
  echo "generated files are not committed: $untracked" >&2
  exit 1
fi
echo "generated files: up to date"
