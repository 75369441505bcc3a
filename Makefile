# The two commands a user needs (see README.md):
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run the whole test suite
#               (once normally, once under AddressSanitizer + UBSan)
#   make install  build, then install into PREFIX (default /usr/local)
#   make deb      build, then the Debian package build/cratec_VERSION_ARCH.deb

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
PREFIX    ?= /usr/local
CTEST_ARGS ?= --output-on-failure

.PHONY: all deps build build-asan test test-fast test-asan demo bench install deb clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DCRATEC_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)

test: test-fast test-asan

test-fast: build
	cd $(BUILD_DIR) && ctest -j $(JOBS) $(CTEST_ARGS)

test-asan: build-asan
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest -j $(JOBS) $(CTEST_ARGS)

demo: build
	@scripts/demo.sh $(BUILD_DIR)

bench: build
	@scripts/bench.sh $(BUILD_DIR)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

deb: build
	cd $(BUILD_DIR) && cpack -G DEB

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
