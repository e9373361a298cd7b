#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Mints the mTLS material between chaosplane-operator and chaosplane-daemon: a CA, the daemon's
# server certificate (SAN DNS:chaosplane-daemon: the operator dials pod IPs and checks this
# name) and the operator's client certificate (CN chaosplane-operator: the identity the daemon
# logs). Prints the two Secrets as YAML:
#
#   deploy/certs/generate.sh [DIR] | kubectl apply -f -
#
# DIR (default: a new temporary directory) keeps the PEM files; guard ca.key, or delete it.
set -euo pipefail
dir=${1:-$(mktemp -d)}
days=${CHAOSPLANE_CERT_DAYS:-365}
namespace=${CHAOSPLANE_NAMESPACE:-chaosplane}
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -subj /CN=chaosplane-ca -days "$days" -out ca.crt \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign

leaf() { # name common-name extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%b' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -out "$1.crt" -extfile "$1.ext" 2>/dev/null
}
leaf daemon chaosplane-daemon 'subjectAltName=DNS:chaosplane-daemon\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n'
leaf operator chaosplane-operator 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n'

secret() { # name cert key
  cat <<YAML
---
apiVersion: v1
kind: Secret
metadata:
  name: $1
  namespace: $namespace
type: kubernetes.io/tls
data:
  ca.crt: $(base64 -w0 ca.crt)
  tls.crt: $(base64 -w0 "$2")
  tls.key: $(base64 -w0 "$3")
YAML
}
secret chaosplane-daemon-tls daemon.crt daemon.key
secret chaosplane-operator-client-tls operator.crt operator.key
echo "certificates kept in $dir" >&2
