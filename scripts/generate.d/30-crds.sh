#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deploy/crds: the CRD of every bundled plugin's kind, generated from its schema.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/cli
node packages/cli/bin/chaosplane.js crds --orchestration --out deploy/crds --rbac-out deploy/rbac
