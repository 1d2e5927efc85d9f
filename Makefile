# Bürgeramt: the two commands are `make run` and `make test`.
# Everything they need is installed by `make setup` (idempotent, seconds when present).

SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

.PHONY: setup build run dev test test-firefox e2e bench fmt lint clean-data

setup:
	@scripts/setup.sh

## Release build of the app into dist/ (Trunk, offline, wasm-opt -Oz).
build: setup
	trunk build --release --offline

## Build everything, then serve app + stand-in backends on http://127.0.0.1:$(PORT)/ (data kept in ./data).
run: build
	cargo build --release -p backends
	PORT=$(PORT) $(TARGET_DIR)/release/buergeramt-backends

## Development: backends on :8080, trunk serve with live reload on :8081 (proxying the backends).
dev: setup
	cargo build -p backends
	PORT=8080 BUERGERAMT_PUBLIC_URL=http://127.0.0.1:8081 $(TARGET_DIR)/debug/buergeramt-backends & \
	  trap "kill $$!" EXIT; trunk serve --offline

## fmt, clippy, native tests, browser tests (wasm-bindgen-test), end-to-end (Playwright + axe).
test: setup
	@scripts/test.sh

## The browser tests (wasm-bindgen-test) in headless Firefox ESR instead of
## Chromium. Needs Debian's firefox-esr and `cargo install geckodriver`
## (not part of `make setup`; not in `make test`).
test-firefox: setup
	env -u CHROMEDRIVER GECKODRIVER=$${GECKODRIVER:-$$(command -v geckodriver)} \
	  cargo test -p buergeramt --target wasm32-unknown-unknown --test 'web_*'

## Only the Playwright end-to-end suite (builds what it needs).
e2e: setup
	@scripts/test.sh e2e

## Every performance figure in one table (docs/performance.md): dist sizes next to
## the Open Forms SDK, search latency, load on the stand-in, memory, Lighthouse mobile.
bench: build
	cargo build --release -q -p backends --bins
	@scripts/bench.sh

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p buergeramt --target wasm32-unknown-unknown -- -D warnings

## Forget all local data (accounts, submissions, postbox) of `make run`.
clean-data:
	rm -rf data
