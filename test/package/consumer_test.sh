#!/usr/bin/env bash
# The installed package as another project sees it (ctest -L package):
#   1. `cmake --install` of a build tree into a fresh prefix, and what it holds;
#   2. consumer/ (find_package(actraft CONFIG), CMAKE_PREFIX_PATH=prefix)
#      configured, built and run: a three-member cluster proposes and reads,
#      and a store tested with the kit (actraft::testing);
#   3. pkg-config --cflags --libs actraft, and the same program built with them;
#   4. subproject/ (add_subdirectory of the source tree) configured, not built:
#      no examples, no tests, none of their dependencies looked for.
# usage: consumer_test.sh BUILD-DIR [SOURCE-DIR [CMAKE [CXX]]]
# The libraries must be built (cmake --build BUILD-DIR --target actraft actraft_testing).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD-DIR [SOURCE-DIR [CMAKE [CXX]]]" >&2
  exit 2
fi
fail() {
  echo "package test: FAILED: $*" >&2
  exit 1
}

[ -d "$1" ] || fail "no build directory $1"
build=$(cd "$1" && pwd)
src=$(cd "${2:-$(dirname "$0")/../..}" && pwd)
cmake=${3:-cmake}
cxx=${4:-g++}
here=$src/test/package

[ -f "$build/CMakeCache.txt" ] || fail "$build is not a configured build tree"
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
libdir=$(cache CMAKE_INSTALL_LIBDIR)
libdir=${libdir:-lib}
case $libdir in /*) fail "CMAKE_INSTALL_LIBDIR is absolute ($libdir): this test installs into a temporary prefix" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/actraft-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

# Runs a step with its output in a log, shown only if it fails.
step() {
  local name=$1
  shift
  local log=$work/$name.log
  local start=$SECONDS
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$name: $*"
  fi
  echo "ok   $name ($((SECONDS - start)) s)"
}

# --- 1. install -------------------------------------------------------------
if ! "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  fail "cmake --install $build (are the libraries built? cmake --build $build --target actraft actraft_testing)"
fi
echo "ok   install into a fresh prefix"
for f in include/actraft/raft.hpp include/actraft/typed.hpp include/actraft/core/node.hpp \
         include/actraft/driver/replica.hpp include/actraft/storage/engine.hpp \
         "$libdir"/libactraft.a "$libdir"/libactraft_core.a "$libdir"/libactraft_driver.a \
         "$libdir"/libactraft_storage.a "$libdir"/libactraft_net.a include/actraft/testing.hpp \
         "$libdir"/libactraft_testing.a "$libdir"/libactraft_sim.a \
         "$libdir"/cmake/actraft/actraftConfig.cmake "$libdir"/cmake/actraft/actraftConfigVersion.cmake \
         "$libdir"/cmake/actraft/actraftTargets.cmake "$libdir"/cmake/actraft/FindCAF.cmake \
         "$libdir"/pkgconfig/actraft.pc; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
# Nothing of the build or source tree may be named by the installed package.
if grep -rlF -e "$build" -e "$src" "$prefix/$libdir/cmake" "$prefix/$libdir/pkgconfig"; then
  fail "the files above name the build or source tree"
fi
[ -z "$(find "$prefix/include" -name 'tls.hpp' -o -name 'wire.hpp')" ] || fail "internal headers (src/net) were installed"
echo "ok   installed files (headers, 7 libraries, CMake package, actraft.pc)"

# --- 2. find_package --------------------------------------------------------
step cmake-configure "$cmake" -S "$here/consumer" -B "$work/consumer-build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx"
found=$(sed -n 's/^actraft_DIR:PATH=//p' "$work/consumer-build/CMakeCache.txt")
[ "$found" = "$prefix/$libdir/cmake/actraft" ] || fail "find_package(actraft) found '$found', not the fresh prefix"
step cmake-build "$cmake" --build "$work/consumer-build" -j2
echo "--- the consumer built with CMake:"
"$work/consumer-build/consumer" "$work/data-cmake" || fail "the consumer built with CMake failed"
echo "--- the consumer's store test (actraft::testing):"
"$work/consumer-build/store_test" || fail "the consumer's store test failed"

# --- 3. pkg-config ----------------------------------------------------------
command -v pkg-config >/dev/null || fail "no pkg-config (Debian: pkg-config; .ci/install-deps.sh)"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
flags=$(pkg-config --cflags --libs actraft) || fail "pkg-config --cflags --libs actraft"
echo "ok   pkg-config --cflags --libs actraft: $flags"
# shellcheck disable=SC2086  # the flags are words
step pkg-config-build "$cxx" -std=c++20 -Wall -Wextra -Wpedantic -Werror \
  "$here/consumer/main.cpp" -o "$work/consumer-pkg-config" $flags
echo "--- the consumer built with pkg-config's flags:"
"$work/consumer-pkg-config" "$work/data-pkg-config" || fail "the consumer built with pkg-config failed"

# --- 4. add_subdirectory ----------------------------------------------------
step subproject-configure "$cmake" -S "$here/subproject" -B "$work/subproject-build" \
  -DACTRAFT_SOURCE_DIR="$src" -DCMAKE_CXX_COMPILER="$cxx"
sub_cache=$work/subproject-build/CMakeCache.txt
grep -q '^ACTRAFT_BUILD_TESTS:BOOL=OFF$' "$sub_cache" || fail "ACTRAFT_BUILD_TESTS is not OFF in a subproject"
grep -q '^ACTRAFT_BUILD_EXAMPLES:BOOL=OFF$' "$sub_cache" || fail "ACTRAFT_BUILD_EXAMPLES is not OFF in a subproject"
# What only the tests and examples need was never looked for.
if grep -iE '^(CPP_HTTPLIB|BROTLI|ZLIB|JEMALLOC|nlohmann_json|boost_unit_test_framework)[A-Za-z_]*:' "$sub_cache"; then
  fail "a subproject looked for the dependencies of tests or examples (above)"
fi
echo "ok   add_subdirectory: libraries only, no test or example dependency"
echo "package test: passed"
