# The two commands: `make run` and `make test`. Everything else is a helper.
JOBS ?= $(shell nproc)
BUILD ?= build/release
PY := /usr/bin/python3
export BASALT_SERVER ?= $(CURDIR)/$(BUILD)/bin/basalt-server

.PHONY: all setup build run test unit-test py-test tsan-test asan-test bench format clean

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/bin/basalt-server --bind 127.0.0.1 --port 6379

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

py-test: build
	$(PY) -m pytest -q -p no:cacheprovider tests/integration tests/compat

# ThreadSanitizer build of the server, driven by the concurrency tests.
tsan-test: setup
	@cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBASALT_SANITIZE=tsan \
	  -DBASALT_BUILD_BENCH=OFF -DBASALT_BUILD_TESTS=OFF >/dev/null
	@cmake --build build/tsan -j $(JOBS) --target basalt-server
	BASALT_SERVER=$(CURDIR)/build/tsan/bin/basalt-server BASALT_SANITIZER=tsan \
	  $(PY) -m pytest -q -p no:cacheprovider -m concurrency tests/integration

# AddressSanitizer + UBSan build: unit tests and the integration suite.
asan-test: setup
	@cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DBASALT_SANITIZE=asan \
	  -DBASALT_BUILD_BENCH=OFF >/dev/null
	@cmake --build build/asan -j $(JOBS)
	cd build/asan && ctest --output-on-failure -j $(JOBS)
	BASALT_SERVER=$(CURDIR)/build/asan/bin/basalt-server BASALT_SANITIZER=asan \
	  $(PY) -m pytest -q -p no:cacheprovider tests/integration

test: unit-test py-test tsan-test

bench: build
	$(PY) bench/bench.py

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
