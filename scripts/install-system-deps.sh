#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages the test suite drives for real: containerd + runc (the
# container runtime), busybox-static (the containers' root filesystem), iproute2,
# iptables, ipset and the CNI plugins (network namespaces, pod networks), stress-ng (StressChaos's
# stressors), openssl (per-run certificates), util-linux/mount/bsdutils (nsenter, setpriv, mount,
# script), a kubectl client, and debootstrap and buildah (the container image).
# Idempotent: it installs only what is missing, so a developer's machine is left alone.
set -euo pipefail

need=()
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
# dockerd, for the daemon's Docker runtime tests (started privately on the test containerd).
command -v dockerd >/dev/null || need+=(docker.io)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || need+=(busybox-static)
# nsenter (namespace entry) and setpriv (the capability-confined daemon test).
{ command -v nsenter && command -v setpriv; } >/dev/null || need+=(util-linux)
# mount (the full-disk test's tmpfs) and script (a pseudo-terminal for the logger test).
command -v mount >/dev/null || need+=(mount)
command -v script >/dev/null || need+=(bsdutils)
command -v ip >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)
# ipset (NetworkChaos partitions and filtered traffic control).
command -v ipset >/dev/null || need+=(ipset)
# StressChaos runs the daemon's (the host's) stress-ng in a target container's cgroups.
command -v stress-ng >/dev/null || need+=(stress-ng)
# The CNI bridge and host-local plugins: each dev pod gets its own network namespace and IP.
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v openssl >/dev/null || need+=(openssl)
# The container image (scripts/build-image.sh): its Debian base made with debootstrap, built
# with buildah (no daemon, no registry).
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v buildah >/dev/null || need+=(buildah)
# Debian's kubectl lives in kubernetes-client; some machines already carry another kubectl.
command -v kubectl >/dev/null || need+=(kubernetes-client)

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
