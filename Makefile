# Makefile - builds allot (programs into build/), runs the tests, checks style.
#   make          programs into build/ (release flags): allot, allotd (with allot-supervisor, the
#                 local backend's task supervisor, next to it), liballot.a, liballot-cuda.so (the
#                 GPU enforcement library), and the web dashboard's bundle in build/web/
#   make run      the above, then allotd in the foreground (state in .allot/, virtual GPUs if none)
#   make test     unit tests, conformance suite and scenarios, API tests and the OIDC module against a real
#                 OpenID provider, under AddressSanitizer and UBSan, and the dashboard in
#                 headless Chromium (make web-test)
#   make check    clang-format, warnings with gcc and clang, house-style checks
#   make clean

CC ?= cc
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
	-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wformat=2 -Wundef -fno-common
OPT ?= -O2 -g
SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-DAL_DEBUG_INVARIANTS
LIBS := -ljansson -lm
# allot pins allotd's certificate through libcurl's OpenSSL (CURLOPT_SSL_CTX_FUNCTION); allotd
# makes its self-signed certificate with GnuTLS, the TLS library libmicrohttpd serves with.
CLI_TLS_LIBS := -lssl -lcrypto
CLI_LIBS := $(LIBS) -lcurl $(CLI_TLS_LIBS) -lz -lyaml -lsodium
DAEMON_LIBS := $(LIBS) -lmicrohttpd -lgnutls -lsqlite3 -lsodium -lyaml -lcurl -lcrypto -lz -lpthread \
	-ldl -llzma

ENGINE_SRC := $(sort $(wildcard src/engine/*.c src/engine/actions/*.c src/util/*.c))
# The frames and the pump of attach, exec and port-forward streams: allotd's, the CLI's, and
# (frames) the supervisor's.
STREAM_SRC := $(sort $(wildcard src/stream/*.c))
SNAPSHOT_SRC := $(sort $(wildcard src/snapshot/*.c))
# The Kubernetes readers and their translation into snapshots: allotd's, and the CLI's too
# (`allot replay --kai`).
KUBE_READERS_SRC := $(addprefix src/backends/kubernetes/,fields.c grouping.c node.c pod.c \
	podgroup.c quantity.c queue.c topology.c translate.c client.c kubeconfig.c)
# The openb replay (`allot sim openb`): the CLI's, and the unit tests'.
SIM_SRC := $(sort $(wildcard src/sim/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c)) $(SIM_SRC) $(KUBE_READERS_SRC) $(STREAM_SRC)
LIB_SRC := $(ENGINE_SRC) $(SNAPSHOT_SRC)
# allotd's parts: everything but main.c is also linked into the unit tests.
DAEMON_PART_SRC := $(sort $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c)) \
	$(wildcard src/daemon/oidc/*.c) \
	$(wildcard src/backends/*.c src/backends/local/*.c src/backends/kubernetes/*.c) \
	$(wildcard src/backends/sim/*.c)) $(STREAM_SRC) src/cuda/device_ledger.c src/cuda/shm_segment.c
DAEMON_MAIN_SRC := src/daemon/main.c
# allot-supervisor: a small program of its own (a task must not hold a copy of allotd's memory).
# What it shares with allotd's local backend (linked into both).
SUPERVISOR_SHARED_SRC := $(addprefix src/backends/local/,read_small.c proc_stat.c unix_path.c) \
	src/stream/frames.c
SUPERVISOR_PART_SRC := $(sort $(filter-out %/main.c,$(wildcard src/backends/local/supervisor/*.c))) \
	$(SUPERVISOR_SHARED_SRC)
SUPERVISOR_SRC := $(SUPERVISOR_PART_SRC) src/backends/local/supervisor/main.c
CLI_PART_SRC := $(filter-out src/cli/main.c $(KUBE_READERS_SRC) $(STREAM_SRC),$(CLI_SRC))
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))

BUILD := build
REL_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
REL_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
SAN_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/san/%.o)
REL_DAEMON_OBJ := $(DAEMON_PART_SRC:%.c=$(BUILD)/obj/%.o) $(DAEMON_MAIN_SRC:%.c=$(BUILD)/obj/%.o)
SAN_DAEMON_PART_OBJ := $(DAEMON_PART_SRC:%.c=$(BUILD)/san/%.o)
SAN_DAEMON_OBJ := $(SAN_DAEMON_PART_OBJ) $(DAEMON_MAIN_SRC:%.c=$(BUILD)/san/%.o)
SAN_CLI_PART_OBJ := $(CLI_PART_SRC:%.c=$(BUILD)/san/%.o)
REL_SUPERVISOR_OBJ := $(SUPERVISOR_SRC:%.c=$(BUILD)/obj/%.o)
SAN_SUPERVISOR_OBJ := $(SUPERVISOR_SRC:%.c=$(BUILD)/san/%.o)
SAN_SUPERVISOR_PART_OBJ := $(filter-out $(SUPERVISOR_SHARED_SRC),$(SUPERVISOR_PART_SRC))
SAN_SUPERVISOR_PART_OBJ := $(SAN_SUPERVISOR_PART_OBJ:%.c=$(BUILD)/san/%.o)
# What a unit test program may use: every part of every program but their main().
SAN_TESTABLE_OBJ = $(SAN_LIB_OBJ) $(SAN_DAEMON_PART_OBJ) $(SAN_CLI_PART_OBJ) \
	$(SAN_SUPERVISOR_PART_OBJ) $(SAN_SUPPORT_OBJ)
SAN_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/san/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
CONFORMANCE ?= ../shared/conformance/cases

.PHONY: all setup run test unit conformance scenarios api kube check format clean bench bench-smoke \
	docs install uninstall fuzz fuzz-long oidc web web-test cuda-test
.SECONDARY:

all: setup $(BUILD)/allot $(BUILD)/allotd $(BUILD)/liballot.a $(BUILD)/liballot-cuda.so docs web

setup:
	@scripts/setup

# Builds, then runs allotd in the foreground for this working tree (state in .allot/).
run: all
	@scripts/allotd-local

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -MMD -MP -c $< -o $@

# Test helpers include their headers as "support/...", like the tests themselves.
$(BUILD)/san/tests/support/%.o: tests/support/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -Itests -MMD -MP -c $< -o $@

$(BUILD)/liballot.a: $(REL_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/allot: $(REL_CLI_OBJ) $(BUILD)/liballot.a
	$(CC) $(OPT) -o $@ $(REL_CLI_OBJ) $(BUILD)/liballot.a $(CLI_LIBS)

$(BUILD)/allotd: $(REL_DAEMON_OBJ) $(BUILD)/liballot.a | $(BUILD)/allot-supervisor
	$(CC) $(OPT) -o $@ $(REL_DAEMON_OBJ) $(BUILD)/liballot.a $(DAEMON_LIBS)

# Static: thousands of supervisors run at once, each with as little private memory as can be.
$(BUILD)/allot-supervisor: $(REL_SUPERVISOR_OBJ)
	$(CC) $(OPT) -static -o $@ $^

# The web dashboard (web/): its npm packages, pinned by web/package-lock.json, installed by
# npm ci when missing or older than the lock file; bundled by esbuild (web/build.mjs) into
# build/web/, which allotd finds next to itself (src/daemon/ui.c). Never committed.
WEB_SRC := $(sort $(shell find web/src -type f 2>/dev/null)) web/index.html web/build.mjs

web: $(BUILD)/web/index.html

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/web/index.html: $(WEB_SRC) web/node_modules/.package-lock.json
	node web/build.mjs $(abspath $(BUILD)/web)

# The dashboard in real headless Chromium (Debian's, driven by npm's playwright-core) against
# a real allotd: pages, live updates, scoping, sign-in, 10,000 workloads; screenshots into
# build/web-screenshots/.
web-test: setup $(BUILD)/san/allotd $(BUILD)/web/index.html
	@scripts/run-web-tests $(BUILD)/san/allotd

# The man pages and the shell completion, printed by allot from its command table.
docs: $(BUILD)/man/allot.1 $(BUILD)/completion/allot

$(BUILD)/man/allot.1: $(BUILD)/allot
	@rm -rf $(BUILD)/man && mkdir -p $(BUILD)/man
	$(BUILD)/allot man-pages $(BUILD)/man

$(BUILD)/completion/allot: $(BUILD)/allot
	@mkdir -p $(dir $@)
	$(BUILD)/allot completion bash > $@

# `make install [PREFIX=/usr/local] [DESTDIR=]`: allot, allotd and the task supervisor beside
# it, the man pages, bash completion (zsh: source <(allot completion zsh)).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions

install: $(BUILD)/allot $(BUILD)/allotd $(BUILD)/allot-supervisor $(BUILD)/liballot-cuda.so docs web
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASH_COMPLETION_DIR) \
		$(DESTDIR)$(PREFIX)/lib/allot
	rm -rf $(DESTDIR)$(PREFIX)/share/allot/web && install -d $(DESTDIR)$(PREFIX)/share/allot/web
	install -m 644 $(BUILD)/web/* $(DESTDIR)$(PREFIX)/share/allot/web
	install -m 755 $(BUILD)/allot $(BUILD)/allotd $(BUILD)/allot-supervisor $(DESTDIR)$(BINDIR)
	# allotd finds it in ../lib/allot/ from its own directory (docs/cuda.md)
	install -m 644 $(BUILD)/liballot-cuda.so $(DESTDIR)$(PREFIX)/lib/allot/liballot-cuda.so
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(BUILD)/completion/allot $(DESTDIR)$(BASH_COMPLETION_DIR)/allot

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/allot $(DESTDIR)$(BINDIR)/allotd \
		$(DESTDIR)$(BINDIR)/allot-supervisor $(DESTDIR)$(BASH_COMPLETION_DIR)/allot \
		$(DESTDIR)$(MANDIR)/man1/allot.1 $(DESTDIR)$(MANDIR)/man1/allot-*.1
	rm -rf $(DESTDIR)$(PREFIX)/share/allot/web $(DESTDIR)$(PREFIX)/lib/allot

$(BUILD)/san/allot: $(SAN_CLI_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(SAN) -o $@ $^ $(CLI_LIBS)

$(BUILD)/san/allotd: $(SAN_DAEMON_OBJ) $(SAN_LIB_OBJ) | $(BUILD)/san/allot-supervisor
	$(CC) $(SAN) -o $@ $(SAN_DAEMON_OBJ) $(SAN_LIB_OBJ) $(DAEMON_LIBS)

$(BUILD)/san/allot-supervisor: $(SAN_SUPERVISOR_OBJ)
	$(CC) $(SAN) -o $@ $^

# Tests that start tasks find the supervisor program by this path.
$(BUILD)/tests/%: tests/%.c $(SAN_TESTABLE_OBJ) | $(BUILD)/san/allot-supervisor
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -Itests \
		-DAL_TEST_SUPERVISOR='"$(abspath $(BUILD)/san/allot-supervisor)"' -o $@ $< \
		$(SAN_TESTABLE_OBJ) $(DAEMON_LIBS) $(CLI_TLS_LIBS) -lcmocka $(TEST_LDFLAGS)

# The torture test fails allocations in turn: malloc, calloc and realloc go through it.
$(BUILD)/tests/engine/test_torture: TEST_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
# The whole-cycle differential test swaps the reference placement in, checks every pop and
# settles no job in bulk in the reference run.
$(BUILD)/tests/engine/test_cycle_differential: TEST_LDFLAGS = \
	-Wl,--wrap=al__placement_find,--wrap=al__job_queue_pop,--wrap=al__job_classes

test: setup unit cuda-test conformance scenarios api kube oidc web-test

unit: $(TEST_BIN) $(BUILD)/san/allot
	@scripts/run-tests $(TEST_BIN)

# Black-box tests: a real allotd on a free loopback port, driven by the real allot and raw HTTP
# (test_dynamic_fractions runs tasks over the fake CUDA driver).
api: $(BUILD)/san/allot $(BUILD)/san/allotd all $(BUILD)/tests/cuda/libcuda.so.1
	@scripts/run-api-tests $(BUILD)/san/allotd $(BUILD)/san/allot

# Against a real kube-apiserver, etcd and kube-controller-manager on loopback, built from their
# Go modules into build/kube once (skipped, loudly, where Go is missing).
kube: $(BUILD)/tests/kube/probe $(BUILD)/san/allot $(BUILD)/san/allotd
	@scripts/run-kube-tests

# allotd's OpenID Connect module against a real OpenID provider (npm's oidc-provider, installed
# into tests/oidc/node_modules by scripts/setup), driven through a small probe program.
OIDC_SRC := $(sort $(wildcard src/daemon/oidc/*.c))

$(BUILD)/tests/oidc/oidc_probe: tests/oidc/oidc_probe.c $(OIDC_SRC:%.c=$(BUILD)/san/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -o $@ $^ -ljansson -lcurl -lcrypto -lsodium -lpthread

oidc: setup $(BUILD)/tests/oidc/oidc_probe
	@python3 tests/oidc/test_oidc_module.py $(BUILD)/tests/oidc/oidc_probe

conformance: $(BUILD)/san/allot
	$(BUILD)/san/allot replay --check $(CONFORMANCE)/*.json

# The project's own scenarios (tests/scenarios/, same format as the conformance suite): more
# cases translated from KAI Scheduler's tests, and hand-checked ones (tests/scenarios/README.md).
scenarios: $(BUILD)/san/allot
	$(BUILD)/san/allot replay --check tests/scenarios/*.json

# Coverage-guided fuzzing (libFuzzer, clang): every part of every program, instrumented, under
# a fuzz target of tests/fuzz/; `make fuzz` runs each for FUZZ_SECONDS from its corpus
# (tests/fuzz/corpus/NAME; what it finds goes to build/fuzz/, not the repository), `make
# fuzz-long` longer and merges what is new into the corpus.
FUZZ_CC ?= clang
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZ_OBJ := $(patsubst %.c,$(BUILD)/fuzz/%.o,$(LIB_SRC) $(DAEMON_PART_SRC) $(CLI_PART_SRC))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CFLAGS_BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(CFLAGS_BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) \
		$(DAEMON_LIBS) $(CLI_TLS_LIBS)

fuzz: setup $(FUZZ_TARGETS) $(BUILD)/allot-supervisor
	@scripts/run-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-long: setup $(FUZZ_TARGETS) $(BUILD)/allot-supervisor
	@FUZZ_MERGE=1 scripts/run-fuzz $(or $(FUZZ_LONG_SECONDS),1800) $(FUZZ_TARGETS)

# liballot-cuda.so (src/cuda/): the LD_PRELOAD library that enforces a task's GPU memory cap and
# compute share (docs/cuda.md). Depends on nothing of ours and on no CUDA header or library;
# position-independent, only the wrapped driver entry points (and dlsym) exported.
CUDA_SRC := $(sort $(wildcard src/cuda/*.c))
CUDA_OBJ := $(CUDA_SRC:%.c=$(BUILD)/cuda/%.o)
# Its pure parts, also unit-tested under the sanitizers (tests/cuda/test_cuda_parts.c).
CUDA_PART_SRC := $(addprefix src/cuda/,config.c ledger.c rate.c sizemap.c)
CUDA_PART_SAN_OBJ := $(CUDA_PART_SRC:%.c=$(BUILD)/san/%.o)

$(BUILD)/cuda/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -fPIC -fvisibility=hidden -MMD -MP -c $< -o $@

$(BUILD)/liballot-cuda.so: $(CUDA_OBJ)
	$(CC) $(OPT) -shared -fPIC -Wl,-soname,liballot-cuda.so -o $@ $^ -ldl -lpthread

$(BUILD)/tests/cuda/test_cuda_parts: $(CUDA_PART_SAN_OBJ)
$(BUILD)/tests/cuda/test_cuda_parts: TEST_LDFLAGS = $(CUDA_PART_SAN_OBJ)

# The fake driver (and NVML) the tests and the benchmark preload the library over, and the test
# program (not under the sanitizers: ASan will not run with a library preloaded before it).
$(BUILD)/tests/cuda/libcuda.so.1: tests/cuda/fake_libcuda.c src/cuda/cuda_api.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -fPIC -shared -Wl,-Bsymbolic -Wl,-soname,libcuda.so.1 -o $@ $<

$(BUILD)/tests/cuda/libnvidia-ml.so.1: tests/cuda/fake_nvml.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -fPIC -shared -Wl,-soname,libnvidia-ml.so.1 -o $@ $< -ldl

$(BUILD)/tests/cuda/cuda_tests: tests/cuda/cuda_tests.c tests/cuda/cuda_driver.h src/cuda/ledger.c \
	src/cuda/ledger.h src/cuda/shm_segment.c src/cuda/shm_segment.h src/cuda/cuda_api.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -Itests -DAL_CUDA_LIBRARY='"$(abspath $(BUILD)/liballot-cuda.so)"' \
		-DAL_FAKE_DRIVER_DIR='"$(abspath $(BUILD)/tests/cuda)"' -o $@ tests/cuda/cuda_tests.c \
		src/cuda/ledger.c src/cuda/shm_segment.c -ldl -lpthread

# liballot-cuda.so over the fake driver (no GPU needed): accounting, the limit, every wrapped
# entry point, cuGetProcAddress and dlsym, processes racing, a killed process, fork, devices,
# malformed variables, the compute share. The program runs itself again with the library
# preloaded and the fake on the library path; under the test runner's leftover check.
cuda-test: $(BUILD)/liballot-cuda.so $(BUILD)/tests/cuda/libcuda.so.1 \
	$(BUILD)/tests/cuda/libnvidia-ml.so.1 $(BUILD)/tests/cuda/cuda_tests
	@scripts/run-tests $(BUILD)/tests/cuda/cuda_tests

$(BUILD)/bench/cuda_overhead: bench/cuda_overhead.c tests/cuda/cuda_driver.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -Itests -o $@ $< -ldl

CUDA_BENCH = $(BUILD)/bench/cuda_overhead --library $(abspath $(BUILD)/liballot-cuda.so) \
	--driver-dir $(abspath $(BUILD)/tests/cuda)
CUDA_BENCH_DEPS = $(BUILD)/bench/cuda_overhead $(BUILD)/liballot-cuda.so \
	$(BUILD)/tests/cuda/libcuda.so.1

# Benchmarks (release build): each prints its figures as `name: value unit`.
BENCH_FLEET_SRC := bench/fleet.c bench/synth.c bench/measure.c

bench: $(BUILD)/bench/fleet $(BUILD)/bench/victim_search $(BUILD)/bench/sim_openb $(BUILD)/allotd $(BUILD)/allot \
	$(CUDA_BENCH_DEPS)
	$(BUILD)/bench/fleet
	$(BUILD)/bench/sim_openb --dir $(OPENB)
	$(BUILD)/bench/victim_search 1024 5
	$(BUILD)/bench/victim_search 4096 5
	bench/allotd_api.py $(BUILD)/allotd
	bench/allotd_fleet.py $(BUILD)/allotd
	bench/allotd_abuse.py $(BUILD)/allotd
	bench/sim_philly.py $(BUILD)/allot
	bench/sim_reservation.py $(BUILD)/allot
	$(CUDA_BENCH)

# A small, fast run of every shape: a smoke test for CI, its figures are not the targets.
bench-smoke: $(BUILD)/bench/fleet $(BUILD)/bench/sim_openb $(BUILD)/allotd $(BUILD)/allot \
	$(CUDA_BENCH_DEPS)
	$(BUILD)/bench/fleet --quick --runs 1
	$(BUILD)/bench/sim_openb --dir $(OPENB) --runs 1
	bench/allotd_api.py $(BUILD)/allotd --workloads 1600 --latency-runs 5 --prefix smoke_
	bench/allotd_fleet.py $(BUILD)/allotd --workloads 3000 --running 480 --finished 1000 \
		--nodes 6 --quiet-cycles 3 --prefix smoke_
	bench/sim_philly.py $(BUILD)/allot --days 1 --prefix smoke_
	bench/sim_reservation.py $(BUILD)/allot --days 1 --prefix smoke_
	$(CUDA_BENCH) --quick --prefix smoke_

$(BUILD)/bench/fleet: $(BENCH_FLEET_SRC) bench/synth.h bench/measure.h $(BUILD)/liballot.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -Ibench -o $@ $(BENCH_FLEET_SRC) $(BUILD)/liballot.a -ljansson -lm

# The openb replay (`allot sim openb`) on the trace in shared/traces (skipped where it is absent).
OPENB ?= ../shared/traces/alibaba-gpu-v2023-openb
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)

$(BUILD)/bench/sim_openb: bench/sim_openb.c bench/measure.c bench/measure.h $(SIM_OBJ) \
	$(BUILD)/liballot.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -Ibench -o $@ bench/sim_openb.c bench/measure.c $(SIM_OBJ) \
		$(BUILD)/liballot.a -lm

$(BUILD)/bench/victim_search: bench/victim_search.c bench/measure.c tests/support/builder.c \
	$(BUILD)/liballot.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -Itests -Ibench -o $@ bench/victim_search.c bench/measure.c \
		tests/support/builder.c $(BUILD)/liballot.a -ljansson -lm

check: setup
	@scripts/check

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
