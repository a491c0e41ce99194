#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run.
# Idempotent: packages already present are not touched, and apt-get runs only when
# something is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake ninja-build clang lld llvm libclang-rt-14-dev nasm binutils python3
  libc6-dev  # static libc for the Linux guests' initramfs /init (tests/linux)
  clang-format clang-tidy
  # firmware crypto (linked into the paravisor image)
  libmbedtls-dev
  # host libraries
  libssl-dev openssl nlohmann-json3-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # key broker (kbs/): HTTP server library; `jose` decrypts its JWEs in tests
  libcpp-httplib-dev jose
  flatbuffers-compiler libflatbuffers-dev
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  # execution platforms
  qemu-system-x86 qemu-utils bochs bochsbios seabios
  # instruction-level hardware model of the world switches (tests/hwmodel)
  libunicorn-dev
  grub-pc-bin xorriso mtools
  # process supervision helpers used by tests
  procps util-linux
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
