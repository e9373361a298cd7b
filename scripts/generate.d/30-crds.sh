#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deploy/crds: the CRD of every bundled plugin's kind, generated from its schema.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/operator
node packages/operator/dist/cli/chaosplane.js crds --out deploy/crds
