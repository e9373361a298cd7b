#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local kubelet's containerd stubs: packages/dev/proto -> src/gen.
set -euo pipefail
cd "$(dirname "$0")/../../packages/dev"
../../node_modules/.bin/buf generate --template buf.gen.yaml
