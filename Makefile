# The two commands from the README, and a few more for developers.
#   make demo   install what is missing, build, run the cluster demo
#   make test   install what is missing, build, run every test (what CI runs)
.PHONY: deps configure build install test test-asan fuzz-build test-fuzz fuzz demo bench bench-compare bench-matrix bench-failover bench-catchup bench-large-state bench-memory sim-soak soak clean

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
JOBS       ?= 2
SEEDS      ?= 20000
MB         ?= 100
WRITES     ?= 1000000
MINUTES    ?= 30
STATE_MB   ?= 2048
PREFIX     ?= /usr/local

deps:
	@.ci/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# The libraries, headers, CMake package and pkg-config file: make install PREFIX=/opt/actraft
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-fuzz

# The core and simulator tests once more under AddressSanitizer + UBSan.
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DACTRAFT_SANITIZE=ON > /dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS) --target test_core test_sim test_storage
	@cd $(ASAN_BUILD) && ACTRAFT_SIM_SEEDS=300 ctest --output-on-failure -j$(JOBS) \
	    -R '^(test_core|test_sim|test_storage|check_no_caf_in_core)$$'

# The libFuzzer targets (clang-14, ASan + UBSan): test/fuzz.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACTRAFT_FUZZ=ON \
	    -DACTRAFT_WERROR=OFF -DCMAKE_CXX_COMPILER=clang++-14 > /dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

# A short run of every fuzzer from its seed corpus (part of make test).
test-fuzz: fuzz-build
	@test/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Long fuzzing: make fuzz MINUTES=N (N minutes for each target).
fuzz: fuzz-build
	@test/fuzz/run.sh $(FUZZ_BUILD) $$(( $(MINUTES) * 60 ))

demo: build
	@examples/kv_store/demo.sh $(BUILD)/examples/kv_store/kv_store

# A longer simulator soak: make sim-soak SEEDS=100000
sim-soak: build
	@ACTRAFT_SIM_SEEDS=$(SEEDS) $(BUILD)/test/test_sim --log_level=test_suite

# Fault injection on real processes with random schedules: make soak MINUTES=30
# (failing runs keep their history and node logs in the directory it prints).
soak: build
	@test/nemesis/soak.sh $(BUILD) $(MINUTES)

bench: build
	@$(BUILD)/test/bench/storage_bench
	@$(BUILD)/test/bench/mailbox_bench --clients=1
	@$(BUILD)/test/bench/mailbox_bench --clients=64

# actraft and etcd side by side on this machine (installs etcd-server).
bench-compare: build
	@test/bench/compare.sh $(BUILD)

# actraft and etcd over clients, value sizes, 3/5 members, TLS on/off, as plots
# (docs/images/matrix-*.png; installs etcd-server and gnuplot-nox). ~15 min.
bench-matrix: build
	@test/bench/matrix.sh $(BUILD)

# kill -9 of the leader under writes, 20 times: time to the next acknowledged write.
bench-failover: build
	@test/bench/failover.sh $(BUILD) 20

# A new member joins a cluster holding MB megabytes and catches up through
# the leader's snapshot: make bench-catchup MB=100
bench-catchup: build
	@ACTRAFT_E2E_STATE_MB=$(MB) $(BUILD)/test/test_e2e \
	    --run_test=a_new_member_catches_up_with_a_large_state --log_level=message

# A store larger than memory (examples/file_store): a STATE_MB state is
# snapshotted, sent to a joining member and restored, each process under
# 200 MiB of resident memory: make bench-large-state STATE_MB=2048
bench-large-state: build
	@test/e2e/large_state_test.sh $(BUILD)/examples/file_store/file_store $(STATE_MB) 200

# RSS of each member of a 3-node cluster over WRITES writes (compaction
# keeps it flat): make bench-memory WRITES=1000000
bench-memory: build
	@test/bench/memory.sh $(BUILD) $(WRITES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
