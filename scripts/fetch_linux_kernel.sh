#!/usr/bin/env bash
# Fetches Debian's own kernel (the package linux-image-amd64 depends on, e.g.
# linux-image-6.1.0-NN-amd64) with `apt-get download` into a cache outside the source tree and
# extracts only its bzImage. Prints the vmlinuz path on stdout. Idempotent: a cached kernel is
# reused. Cache: $PV_LINUX_CACHE, default ~/.cache/paravisor-cvm/linux. Nothing here is committed.
set -euo pipefail

cache="${PV_LINUX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paravisor-cvm/linux}"
mkdir -p "$cache"

# The versioned package behind the metapackage (Debian's current kernel for this release).
pkg="$(apt-cache depends linux-image-amd64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)"
if [ -z "$pkg" ]; then
  echo "fetch_linux_kernel: cannot resolve linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
release="${pkg#linux-image-}"
vmlinuz="$cache/vmlinuz-$release"
if [ -s "$vmlinuz" ]; then
  echo "$vmlinuz"
  exit 0
fi

tmp="$(mktemp -d "$cache/fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q "$pkg" >&2)
deb="$(ls "$tmp"/*.deb)"
# Only the bzImage: the modules (hundreds of MiB) are not needed for an initramfs-only boot.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./boot/vmlinuz-$release"
mv "$tmp/boot/vmlinuz-$release" "$vmlinuz.part"
mv "$vmlinuz.part" "$vmlinuz"
echo "$vmlinuz"
