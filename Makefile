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

.PHONY: setup wasm host demo test replay bench explain fuzz kong-up kong-down clean

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
wasm: setup
	cargo build --release --target $(WASM_TARGET) -p auth-diagnosis -p auth-diagnosis-noop
	@if command -v wasm-opt >/dev/null; then \
	  for f in $(FILTER_WASM) $(NOOP_WASM); do wasm-opt $(WASM_OPT_FLAGS) $$f -o $$f.opt && mv $$f.opt $$f; done; \
	fi
	@echo "$(FILTER_WASM): $$(stat -c %s $(FILTER_WASM)) bytes"

## host: the embedded proxy-wasm host (wasmtime), dev profile only, so wasmtime is built once
host: setup
	cargo build -p adhost

## demo: replay the bundled scenarios through the real filter and show each diagnosis
demo: wasm host
	$(HOST) demo tests/scenarios

## replay: FILES="a.json b.json" — one JSON line per scenario (SPEC section 8)
replay: wasm host
	@$(HOST) replay $(FILES)

## explain: FILE=request.txt [CONFIG=config.json] [STATUS=401] [NOW=unix|RFC 3339] — diagnose a pasted curl -v
explain: wasm host
	@$(HOST) explain $(FILE) $(if $(CONFIG),--config $(CONFIG)) $(if $(STATUS),--status $(STATUS)) $(if $(NOW),--now '$(NOW)')

## bench: the filter against the no-op filter, same host, same run
bench: wasm
	cargo build -p adhost
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

## kong-up / kong-down: the docker-compose Kong 3.9 with the filter (needs Docker)
kong-up: wasm
	docker compose -f kong-config/docker-compose.yml up -d
kong-down:
	docker compose -f kong-config/docker-compose.yml down

clean:
	cargo clean
