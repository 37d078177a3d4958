#!/usr/bin/env bash
# Installs the Debian packages actraft builds and tests with. Idempotent:
# installs only what is missing, and needs no network when nothing is.
set -euo pipefail

packages=(
  g++ make cmake
  libcaf-dev        # CAF 0.17.6: actors, network layer
  libcereal-dev     # serialization of entries, records, messages
  libboost-dev      # Boost.CRC (checksums), Boost.Beast (HTTP in the examples and loadgen)
  libboost-test-dev # Boost.Test
  libspdlog-dev     # logging
  libssl-dev        # OpenSSL: TLS between members, the cluster CA
  libcpp-httplib-dev pkg-config # HTTP API of the kv_store example
  libjemalloc-dev   # the kv_store example's allocator (a tenth less CPU per request)
  curl              # the demo talks to the cluster with it
  nlohmann-json3-dev # client histories (JSON lines) for the linearizability checker
  clang-14 libclang-rt-14-dev # libFuzzer, ASan and UBSan for the fuzz targets (test/fuzz)
  prometheus        # promtool: checks kv_store's /metrics in the tests
  chromium          # headless: the live cluster page's test renders it
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
