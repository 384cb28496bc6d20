# auth-diagnosis — every command a user or CI needs. Each target installs what it is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

WASM_TARGET := wasm32-wasip1
WASM_DIR    := target/$(WASM_TARGET)/release
FILTER_WASM := $(WASM_DIR)/auth_diagnosis.wasm
NOOP_WASM   := $(WASM_DIR)/noop_filter.wasm
HOST        := target/debug/adhost
SCENARIOS   := $(sort $(wildcard tests/scenarios/*.json))
FUZZ_CASES  ?= 20000
VERSION     := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
DIST        := target/dist/auth-diagnosis-$(VERSION)
COMPOSE     := docker compose -f kong-config/docker-compose.yml

# What each build reads: the targets below are real files, so a second `make explain` runs the
# host at once instead of rebuilding and re-optimising the filter.
FILTER_SOURCES := $(shell find src tests/noop -name '*.rs' -o -name Cargo.toml) Cargo.toml Cargo.lock
HOST_SOURCES   := $(shell find tests/host/src -name '*.rs') tests/host/Cargo.toml Cargo.toml Cargo.lock \
                  kong-config/auth_diagnosis.meta.json

# wasm-opt rewrites the .wasm in place; this file records the digests it left. The .wasm is
# rebuilt (and re-optimised) when a source changed, or when the file is no longer the one wasm-opt
# wrote (a plain `cargo build --release --target wasm32-wasip1` put an unoptimised one there).
WASM_STAMP := $(WASM_DIR)/.wasm-opt.sha256
ifneq ($(shell sha256sum $(FILTER_WASM) $(NOOP_WASM) 2>/dev/null | cmp -s - $(WASM_STAMP) && echo same),same)
WASM_FORCE := FORCE
endif

.PHONY: setup wasm host demo test replay bench explain fuzz profile kong-up kong-down dist clean FORCE

## setup: the wasm32-wasip1 target, rustfmt/clippy and (where apt can install it) binaryen's wasm-opt
setup:
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }
	@rustup target list --installed 2>/dev/null | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
	@command -v wasm-opt >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -qq binaryen >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq binaryen >/dev/null 2>&1)) ; } || \
	  echo "wasm-opt not available: the .wasm will be built without it (larger, same behaviour)"

# The features rustc enables for wasm32-wasip1, spelled out for binaryen.
WASM_OPT_FLAGS := -Oz --converge --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types

## wasm: auth_diagnosis.wasm and the no-op baseline, release (size) profile, then wasm-opt if present
wasm: $(WASM_STAMP)
	@echo "$(FILTER_WASM): $$(stat -c %s $(FILTER_WASM)) bytes"

# wasm-opt runs only on a file it has not already optimised (its digest is not in the stamp).
$(WASM_STAMP): $(FILTER_SOURCES) $(WASM_FORCE)
	@$(MAKE) --no-print-directory setup
	cargo build --release --target $(WASM_TARGET) -p auth-diagnosis -p auth-diagnosis-noop
	@if command -v wasm-opt >/dev/null; then \
	  for f in $(FILTER_WASM) $(NOOP_WASM); do \
	    if ! grep -qs "^$$(sha256sum $$f | cut -d' ' -f1) " $@; then \
	      echo "wasm-opt $$f"; wasm-opt $(WASM_OPT_FLAGS) $$f -o $$f.opt && mv $$f.opt $$f || exit 1; \
	    fi; \
	  done; \
	fi
	@sha256sum $(FILTER_WASM) $(NOOP_WASM) > $@

## host: the embedded proxy-wasm host (wasmtime), dev profile only, so wasmtime is built once
host: $(HOST)

$(HOST): $(HOST_SOURCES)
	@$(MAKE) --no-print-directory setup
	cargo build -p adhost
	@touch $@

## demo: replay the bundled scenarios through the real filter and show each diagnosis
demo: $(WASM_STAMP) $(HOST)
	$(HOST) demo tests/scenarios

## replay: FILES="a.json b.json" — one JSON line per scenario (SPEC section 8)
replay: $(WASM_STAMP) $(HOST)
	@$(HOST) replay $(FILES)

## explain: FILE=request.txt [CONFIG=config.json] [STATUS=401] [NOW=unix|RFC 3339] — diagnose a pasted curl -v
explain: $(WASM_STAMP) $(HOST)
	@$(HOST) explain $(FILE) $(if $(CONFIG),--config $(CONFIG)) $(if $(STATUS),--status $(STATUS)) $(if $(NOW),--now '$(NOW)')

## bench: the filter against the no-op filter, same host, same run
bench: $(WASM_STAMP) $(HOST)
	$(HOST) bench --filter $(FILTER_WASM) --noop $(NOOP_WASM)

## test: everything CI runs
test: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --release --target $(WASM_TARGET) -p auth-diagnosis -p auth-diagnosis-noop -- -D warnings
	$(MAKE) --no-print-directory wasm
	cargo test --workspace
	$(HOST) replay $(SCENARIOS) > target/replay.jsonl
	@echo "replayed $$(wc -l < target/replay.jsonl) scenarios: all expectations held"

## fuzz: property-based fuzzing of the pure core for longer (FUZZ_CASES inputs per property)
fuzz: setup
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p auth-diagnosis fuzz -- --nocapture

## profile: callgrind's instruction counts per function of the pure core on the bench's two 401
## shapes (native release build with symbols, in target/profile; valgrind from apt);
## PROFILE_SHAPE=stripped-by-proxy or jwt-expired profiles one shape alone
profile: setup
	@command -v valgrind >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -qq valgrind >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq valgrind >/dev/null 2>&1)) ; } || \
	  { echo "make profile needs valgrind: apt-get install valgrind"; exit 1; }
	CARGO_PROFILE_RELEASE_STRIP=false CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_TARGET_DIR=target/profile \
	  cargo test --release -p auth-diagnosis --no-run
	@bin=$$(ls -t target/profile/release/deps/auth_diagnosis-* | grep -v '\.d$$' | head -n 1); \
	PROFILE_ROUNDS=100 valgrind --tool=callgrind --callgrind-out-file=target/profile/callgrind.out \
	  $$bin profile_401_shapes --test-threads=1 2>&1 | grep 'refs'; \
	echo "inclusive instructions per function, 100 rounds of both shapes (target/profile/callgrind.out):"; \
	callgrind_annotate --inclusive=yes target/profile/callgrind.out 2>/dev/null | grep -E 'auth_diagnosis::|bitcoin_hashes::' | head -n 40

## dist: the release bundle an operator installs without Rust (target/dist/auth-diagnosis-<version>/)
dist: $(WASM_STAMP)
	@rm -rf $(DIST) && mkdir -p $(DIST)/kong-config
	@cp $(FILTER_WASM) kong-config/auth_diagnosis.meta.json LICENSE $(DIST)/
	@cp kong-config/kong.yml kong-config/kong.conf kong-config/nginx.conf $(DIST)/kong-config/
	@sed 's|\.\./target/wasm32-wasip1/release/auth_diagnosis\.wasm|../auth_diagnosis.wasm|; s|\./auth_diagnosis\.meta\.json|../auth_diagnosis.meta.json|' \
	  kong-config/docker-compose.yml > $(DIST)/kong-config/docker-compose.yml
	@sed 's/@VERSION@/$(VERSION)/g' dist/INSTALL > $(DIST)/INSTALL
	@cd $(DIST) && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	@cd $(DIST) && sha256sum --quiet -c SHA256SUMS
	@tar -C target/dist -czf $(DIST).tar.gz auth-diagnosis-$(VERSION)
	@echo "$(DIST)/ ($$(wc -l < $(DIST)/SHA256SUMS) files, checksums verified) and $(DIST).tar.gz"

## kong-up / kong-down: the docker-compose Kong 3.9 with the filter (needs Docker and its compose plugin)
kong-up: docker-check $(WASM_STAMP)
	$(COMPOSE) up -d --wait
kong-down: docker-check
	$(COMPOSE) down

# Docker and its compose plugin are checked before anything runs, so that a machine without them
# gets one line saying what to install (not compose's "unknown shorthand flag: 'f' in -f").
ifneq ($(filter kong-up kong-down,$(MAKECMDGOALS)),)
ifeq ($(shell command -v docker),)
$(error make $(filter kong-up kong-down,$(MAKECMDGOALS)) needs Docker: install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop)
endif
ifneq ($(shell docker compose version >/dev/null 2>&1 && echo ok),ok)
$(error make $(filter kong-up kong-down,$(MAKECMDGOALS)) needs the Docker Compose plugin (docker compose): install docker-compose-plugin (https://docs.docker.com/compose/install/linux/) or Docker Desktop)
endif
endif

.PHONY: docker-check
docker-check:
	@docker info >/dev/null 2>&1 || { echo "make $(MAKECMDGOALS): Docker is installed but its daemon does not answer: start it (systemctl start docker, or Docker Desktop)"; exit 1; }

clean:
	cargo clean
