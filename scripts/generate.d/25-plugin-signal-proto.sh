#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The example out-of-tree plugin's own gRPC stubs: examples/plugin-signal/proto -> src/gen.
set -euo pipefail
cd "$(dirname "$0")/../../examples/plugin-signal"
../../node_modules/.bin/buf generate --template buf.gen.yaml
