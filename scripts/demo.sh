#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's main-job command: the embedded HelloWorldChaos demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f packages/operator/dist/cli/chaosplane.js ]; then
  echo "The embedded demo (chaosplane dev --demo) is not built yet; see the README's status." >&2
  exit 1
fi
exec node packages/operator/dist/cli/chaosplane.js dev --demo "$@"
