#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Chaosplane container image from this repository without any registry:
#   1. a Debian bookworm base made with debootstrap (minbase, deploy/image/debian-packages.txt,
#      bookworm-updates and security updates) plus the Node.js this repository runs on (its node
#      binary and npm, copied from this machine), cached under .chaosplane/image-cache;
#   2. /opt/chaosplane: the workspaces of deploy/image/packages.txt as `npm pack` publishes them,
#      installed with `npm install --omit=dev` at package-lock.json's versions;
#   3. deploy/image/Containerfile built with buildah (chroot isolation: no daemon, no registry),
#      tagged ghcr.io/chaosplane/chaosplane:<version of @chaosplane/operator>, and written as an
#      OCI archive, .chaosplane/image/chaosplane-<version>.oci.tar.
# Runs as root (debootstrap, buildah's storage). Options:
#   --refresh-base   make the Debian base again even if one is cached (new security updates)
# Environment: CHAOSPLANE_DEBIAN_MIRROR, CHAOSPLANE_DEBIAN_SECURITY_MIRROR override the mirrors
# (by default those this machine's apt uses for bookworm, else deb.debian.org).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

die() {
  printf 'build-image: %s\n' "$*" >&2
  exit 1
}

refresh_base=false
for arg in "$@"; do
  case "$arg" in
    --refresh-base) refresh_base=true ;;
    -h | --help)
      sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root: debootstrap and buildah (its image storage, chroot isolation) need it (sudo $0)"
for tool in buildah debootstrap chroot flock node npm tar; do
  command -v "$tool" >/dev/null ||
    die "$tool is not installed (Debian packages buildah and debootstrap: bash scripts/install-system-deps.sh)"
done
[ -x node_modules/.bin/tsc ] || die "run npm ci first: the image is built from this repository's packages"

suite=bookworm
version=$(node -p 'require("./packages/operator/package.json").version')
image="ghcr.io/chaosplane/chaosplane:$version"
out="$repo/.chaosplane/image"
cache="$repo/.chaosplane/image-cache"
archive="$out/chaosplane-$version.oci.tar"
mkdir -p "$out" "$cache"
# One build at a time: they share the context directory, the cache and the tag.
exec 9>"$cache/.lock"
flock 9

# The apt site this machine uses for a release, e.g. http://deb.debian.org/debian for bookworm.
apt_site() {
  apt-get indextargets --format '$(SITE) $(RELEASE)' 2>/dev/null | awk -v release="$1" '$2 == release { print $1; exit }'
}
mirror=${CHAOSPLANE_DEBIAN_MIRROR:-$(apt_site "$suite")}
mirror=${mirror:-http://deb.debian.org/debian}
security=${CHAOSPLANE_DEBIAN_SECURITY_MIRROR:-$(apt_site "$suite-security")}
security=${security:-http://deb.debian.org/debian-security}
node_bin=$(node -p process.execPath)
npm_dir="$(npm root -g)/npm"
[ -f "$npm_dir/package.json" ] || die "npm is not at $npm_dir (npm root -g): cannot copy it into the image"
include=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' deploy/image/debian-packages.txt | tr -d ' \t' | paste -sd, -)

now() { date +%s.%N; }
since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }

# Runs a command inside the root filesystem being made, with a clean environment.
in_root() {
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 chroot "$root" "$@"
}

# Makes the base root filesystem and writes it as a tarball to $1.
make_base() {
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  # mktemp's 0700 would become the image's / (and stop maintainer scripts that drop root).
  chmod 0755 "$root"
  mkdir -p "$cache/debs"
  debootstrap --variant=minbase --include="$include" --cache-dir="$cache/debs" "$suite" "$root" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    die "debootstrap failed (log: $cache/debootstrap.log)"
  }
  # debootstrap installs the release as published; the updates and security suites come on top.
  rm -f "$root/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n\n' \
    "$mirror" "$suite" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg >"$root/etc/apt/sources.list.d/debian.sources"
  printf 'Types: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n' \
    "$security" "$suite" /usr/share/keyrings/debian-archive-keyring.gpg >>"$root/etc/apt/sources.list.d/debian.sources"
  {
    in_root apt-get update -qq && in_root apt-get upgrade -y -qq -o Dpkg::Options::=--force-confold && in_root apt-get clean
  } >"$cache/upgrade.log" 2>&1 || {
    tail -n 20 "$cache/upgrade.log" >&2
    die "apt-get upgrade in the new root failed (log: $cache/upgrade.log)"
  }
  # What derived images install with apt leaves out docs and translations too (copyrights stay).
  printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
    'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' 'path-exclude=/usr/share/locale/*' \
    >"$root/etc/dpkg/dpkg.cfg.d/chaosplane-slim"
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  find "$root/usr/share/doc" -depth -type d -empty -delete
  rm -rf "$root"/usr/share/{man,info,locale}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/log/* "$root"/tmp/*
  # debootstrap copied this machine's; container runtimes mount their own.
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  # The Node.js the repository is built and tested with: its node binary and npm (a derived image's
  # `npm install <plugin>`). Not its .deb: that one needs python3 (for node-gyp) and ships 90 MB of
  # headers and docs the image has no use for.
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  rm -rf "$root/usr/local/lib/node_modules/npm/"{docs,man}
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  [ "$(in_root node --version)" = "$(node --version)" ] || die "the copied node does not run in the Debian $suite root"
  in_root npm --version >/dev/null || die "the copied npm does not run in the Debian $suite root"
  tar --numeric-owner -C "$root" -cf "$1.tmp" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' .
  mv "$1.tmp" "$1"
  rm -rf "$root"
  trap - EXIT
}

started=$(now)
printf '==> build (npm run build)\n'
npm run build --silent

# Everything that shapes the base is in its key: the recipe, the package list, mirrors, Node.js.
base_key=$({
  declare -f make_base in_root
  printf '%s\n' "$suite" "$include" "$mirror" "$security"
  sha256sum "$node_bin"
  npm --version
} | sha256sum | cut -c1-16)
base_tar="$cache/base-$suite-$base_key.tar"
step=$(now)
if [ "$refresh_base" = true ] || [ ! -f "$base_tar" ]; then
  printf '==> base: debootstrap %s (minbase + %s) from %s, Node.js %s\n' "$suite" "$include" "$mirror" "$(node --version)"
  make_base "$base_tar"
  base_state="made in $(since "$step") s"
else
  base_state="cached ($base_tar)"
fi
find "$cache" -maxdepth 1 -name "base-$suite-*.tar" ! -path "$base_tar" -delete
printf '==> base: %s\n' "$base_state"

step=$(now)
printf '==> /opt/chaosplane: npm pack and npm install --omit=dev\n'
context="$out/context"
rm -rf "$context"
mkdir -p "$context/base"
ln "$base_tar" "$context/base/rootfs.tar" 2>/dev/null || cp "$base_tar" "$context/base/rootfs.tar"
node scripts/image/stage-app.mjs stage "$context/app" | sed 's/^/    /'
(cd "$context/app" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error)
node scripts/image/stage-app.mjs check "$context/app" | sed 's/^/    /'
app_seconds=$(since "$step")

step=$(now)
printf '==> buildah build %s\n' "$image"
previous=$(buildah images --quiet --no-trunc "$image" 2>/dev/null || true)
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
buildah build --isolation chroot --quiet -f deploy/image/Containerfile \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" -t "$image" "$context" >/dev/null
current=$(buildah images --quiet --no-trunc "$image")
# The image this tag named before, now untagged: only that one is removed.
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then buildah rmi "$previous" >/dev/null 2>&1 || true; fi
build_seconds=$(since "$step")

step=$(now)
rm -f "$archive"
buildah push --quiet "$image" "oci-archive:$archive:$image" >/dev/null
archive_seconds=$(since "$step")
rm -rf "$context"

archive_bytes=$(stat -c %s "$archive")
# The layers' uncompressed size, as buildah's storage counts it ("289 MB").
unpacked=$(buildah images --format '{{.Size}}' "$image")
total=$(since "$started")
mb() { awk -v bytes="$1" 'BEGIN { printf "%.1f MB", bytes / 1e6 }'; }
cat >"$out/chaosplane-$version.build.json" <<EOF
{"image":"$image","archive":"$archive","archiveBytes":$archive_bytes,"unpacked":"$unpacked","base":"$base_tar","seconds":{"total":$total,"app":$app_seconds,"build":$build_seconds,"archive":$archive_seconds}}
EOF
printf '==> %s: %s (archive %s, unpacked %s), base %s; app %s s, buildah %s s, archive %s s, total %s s\n' \
  "$image" "$archive" "$(mb "$archive_bytes")" "$unpacked" "$base_state" \
  "$app_seconds" "$build_seconds" "$archive_seconds" "$total"
