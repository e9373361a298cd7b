#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's main-job command: the embedded HelloWorldChaos demo (`chaosplane dev --demo`).
# On a fresh machine it first installs what it needs (system packages as root, npm packages,
# the build); then it starts kube-emulator, containerd, the daemon and the operator, applies
# examples/helloworld.yaml with kubectl, shows the operator's and the daemon's log lines, deletes
# the experiment and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh >&2
[ -d node_modules/@chaosplane/sdk ] || npm ci --no-audit --no-fund >&2
npm run --silent build >&2
exec node packages/cli/bin/chaosplane.js dev --demo "$@"
