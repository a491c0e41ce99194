#!/usr/bin/env bash
# Configures and builds the project into build/ (or $PV_BUILD_DIR) with clang.
# Usage: scripts/build.sh [extra cmake --build args, e.g. --target paravisor]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${PV_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=${PV_BUILD_TYPE:-RelWithDebInfo} \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
fi
cmake --build "$BUILD_DIR" "$@"
