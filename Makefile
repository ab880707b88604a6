# Makefile: the two commands of the README, plus the usual targets.
#   make run   install what is missing, build, serve the demo config
#   make test  install what is missing, build (plain and ASan/UBSan), run every test
#   make package  the .deb and .rpm, in build/
#   make bench benchmark against adnanh/webhook, Flask/gunicorn and nginx (bench/bench.py)
#   make fuzz  libFuzzer on every tests/fuzz target, FUZZ_SECONDS each (build-fuzz/, clang)
#   make demo-poll  one poll pass (dry run) against a local PagerDuty stand-in
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all deps build build-asan run demo-poll test bench package format clean fuzz \
	fuzz-build fuzz-merge

all: build

deps:
	@sh packaging/build-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DPD_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

run: build
	@mkdir -p demo
	@echo
	@echo "Demo receiver on http://127.0.0.1:8080/webhooks/pagerduty (no StackStorm needed)."
	@echo "Triggers are appended to demo/triggers.jsonl. In a second terminal, run:"
	@echo
	@echo "    $(BUILD)/st2-pagerduty send-test -c config/demo.yaml"
	@echo
	@echo "(No inbound access? \`make demo-poll\` shows one pass of the poller instead.)"
	@echo
	@exec $(BUILD)/st2-pagerduty serve -c config/demo.yaml

# One pass of the poller, printing the triggers it would emit, against a PagerDuty
# stand-in on 127.0.0.1:8090 holding five incidents' log entries of the last hour.
demo-poll: build
	@python3 tests/integration/pd_standin.py --port 8090 --demo 5 >/dev/null & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT INT TERM; \
	python3 -c 'import socket, time; \
	[time.sleep(0.1) for _ in range(100) if socket.socket().connect_ex(("127.0.0.1", 8090))]'; \
	echo "$(BUILD)/st2-pagerduty poll --once --since 1h --dry-run -c config/demo-poll.yaml"; \
	$(BUILD)/st2-pagerduty poll --once --since 1h --dry-run -c config/demo-poll.yaml

test: build build-asan
	@cd $(BUILD) && ctest --output-on-failure -j 2
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 2

# .deb and .rpm in build/ (CPack; see packaging/packaging.cmake).
package: build
	@cmake --build $(BUILD) --target package

# Not a test: compares st2-pagerduty with its peers on this machine and prints a table.
bench: build
	@PD_BIN=$(CURDIR)/$(BUILD)/st2-pagerduty python3 bench/bench.py
	@PD_BIN=$(CURDIR)/$(BUILD)/st2-pagerduty python3 bench/actions.py

# libFuzzer, as the hardening issue asks: clang with ASan and UBSan, the
# library instrumented for coverage. Not part of `make test`, which only
# replays the committed corpora. FUZZ_TARGETS=payload limits the run.
fuzz-build: deps
	@sh packaging/build-deps.sh clang-14 libclang-rt-14-dev
	@cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DPD_FUZZ=ON >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz-targets

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Folds what `make fuzz` found into the committed seeds, keeping only inputs
# that add coverage (libFuzzer -merge=1). Review the new files before committing.
fuzz-merge: fuzz-build
	@for t in $(or $(FUZZ_TARGETS),$(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))); do \
		[ -d $(BUILD_FUZZ)/fuzz-out/$$t/corpus ] || continue; \
		echo "fuzz-merge: $$t"; \
		$(BUILD_FUZZ)/tests/fuzz/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t \
			$(BUILD_FUZZ)/fuzz-out/$$t/corpus </dev/null 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' ; \
	done

format:
	@clang-format -i actions/*.[ch] common/*.[ch] config/*.c sensor/*.c serve/*.c spool/*.[ch] \
		triggers/*.[ch] webhook/*.c tests/lib/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch]

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
