#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gRPC stubs with buf + ts-proto (nice-grpc flavour, native ESM imports):
#   proto/chaosplane  -> packages/core/src/gen    (the daemon's core service)
#   proto/thirdparty  -> packages/daemon/src/gen  (containerd and CRI subsets the daemon calls)
set -euo pipefail
cd "$(dirname "$0")/../.."
buf=node_modules/.bin/buf
"$buf" generate --template buf.gen.yaml
"$buf" generate --template proto/buf.gen.runtime.yaml
