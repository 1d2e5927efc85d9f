# Bürgeramt: the two commands are `make run` and `make test`.
# Everything they need is installed by `make setup` (idempotent, seconds when present).

SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080
STANDIN_PORT ?= 8070
# The stand-in's mail sink (SMTP on 127.0.0.1; its mails at :$(STANDIN_PORT)/mail).
SMTP_PORT ?= 2525
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)

.PHONY: setup build run dev test test-firefox test-faults e2e e2e-webdriver bench fuzz fmt lint clean-data

setup:
	@scripts/setup.sh

## Release build of the app into dist/ (Trunk, offline, wasm-opt -Oz).
build: setup
	trunk build --release --offline

## Build everything, then serve the app through the relay on http://127.0.0.1:$(PORT)/
## (docs/relay.md), in front of the stand-in of the state's backends on
## :$(STANDIN_PORT) (strict: its PVOG and ZBP answer only the relay). The
## authority console: http://localhost:$(STANDIN_PORT)/behoerde. The mail sink:
## SMTP on 127.0.0.1:$(SMTP_PORT), its mails at http://127.0.0.1:$(STANDIN_PORT)/mail. Data is kept
## in ./data (the relay's in ./data/relay). Stopping the relay (Ctrl-C) stops
## the stand-in too.
run: build
	cargo build --release -p backends -p relay --bins
	@set -e; \
	  PORT=$(STANDIN_PORT) BUERGERAMT_DATA=data BUERGERAMT_STRICT_UPSTREAMS=1 BUERGERAMT_SMTP_PORT=$(SMTP_PORT) \
	    BUERGERAMT_RELAY_URL=http://127.0.0.1:$(PORT) BUERGERAMT_CONSOLE_URL=http://localhost:$(STANDIN_PORT) \
	    $(TARGET_DIR)/release/buergeramt-backends & standin=$$!; \
	  trap 'kill $$standin 2>/dev/null; wait $$standin 2>/dev/null' EXIT INT TERM; \
	  until (exec 3<>/dev/tcp/127.0.0.1/$(STANDIN_PORT)) 2>/dev/null; do \
	    kill -0 $$standin 2>/dev/null || { echo "the stand-in did not start" >&2; exit 1; }; sleep 0.1; done; \
	  PORT=$(PORT) RELAY_UPSTREAM=http://127.0.0.1:$(STANDIN_PORT) RELAY_DIST=dist RELAY_DATA=data/relay \
	    RELAY_SMTP_URL=smtp://127.0.0.1:$(SMTP_PORT) \
	    $(TARGET_DIR)/release/buergeramt-relay


## Development: the stand-in on :8070, the relay on :8080, trunk serve with
## live reload on :8081 (proxying /api and /config.json to the relay). The
## console: http://localhost:8070/behoerde; mails: http://127.0.0.1:8070/mail.
dev: setup
	cargo build -p backends -p relay --bins
	@set -e; \
	  PORT=8070 BUERGERAMT_DATA=data BUERGERAMT_STRICT_UPSTREAMS=1 BUERGERAMT_SMTP_PORT=$(SMTP_PORT) \
	    BUERGERAMT_RELAY_URL=http://127.0.0.1:8081 BUERGERAMT_CONSOLE_URL=http://localhost:8070 \
	    $(TARGET_DIR)/debug/buergeramt-backends & standin=$$!; \
	  PORT=8080 RELAY_UPSTREAM=http://127.0.0.1:8070 RELAY_DATA=data/relay RELAY_SMTP_URL=smtp://127.0.0.1:$(SMTP_PORT) \
	    RELAY_PUBLIC_URL=http://127.0.0.1:8081 RELAY_ALLOWED_ORIGINS=http://127.0.0.1:8081 \
	    $(TARGET_DIR)/debug/buergeramt-relay & relay=$$!; \
	  trap 'kill $$relay $$standin 2>/dev/null; wait $$relay $$standin 2>/dev/null' EXIT INT TERM; \
	  trunk serve --offline

## fmt, clippy, native tests, browser tests (wasm-bindgen-test in Chromium and
## Firefox ESR), end-to-end (Playwright + axe), the WebDriver journey (Firefox ESR, WebKit).
test: setup
	@scripts/test.sh

## Only the browser tests (wasm-bindgen-test) in headless Firefox ESR instead
## of Chromium (part of `make test`; `make setup` installs firefox-esr and
## geckodriver).
test-firefox: setup
	env -u CHROMEDRIVER GECKODRIVER=$${GECKODRIVER:-$$(command -v geckodriver)} \
	  cargo test -p buergeramt --target wasm32-unknown-unknown --test 'web_*'

## Only the fault suite (part of `make test`): every backend call of the app
## answered with malformed, hostile, oversized, slow or failing responses
## (e2e/faults.spec.ts, docs/faults.md).
test-faults: setup
	trunk build --release --offline
	cargo build -p backends -p relay --bins
	npx playwright test e2e/faults.spec.ts

## Only the end-to-end suites: Playwright, then the WebDriver journey (builds what it needs).
e2e: setup
	@scripts/test.sh e2e

## Only the WebDriver journey in Firefox ESR and WebKit (part of `make test`;
## e2e-webdriver/, docs/testing.md). WD_BROWSERS=webkit for one browser.
e2e-webdriver: setup
	@scripts/test.sh webdriver

## Every performance figure in one table (docs/performance.md): dist sizes next to
## the Open Forms SDK, search latency, load on the stand-in, memory, Lighthouse mobile.
bench: build
	cargo build --release -q -p backends -p relay --bins
	@scripts/bench.sh

## Fuzzing with cargo-fuzz (nightly; not part of `make test`): builds the
## targets in fuzz/ and runs each for FUZZ_SECONDS (default 60), one after
## another, from the seeds in fuzz/corpus/<target>/ (new inputs go to
## fuzz/work/<target>/). See docs/fuzzing.md.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= form_schema:16384 form_answers:4096 jwe:4096 set_jws:8192 pvog_search:1024
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cargo +nightly fuzz build
	set -e; for t in $(FUZZ_TARGETS); do name=$${t%%:*}; len=$${t##*:}; \
	  mkdir -p fuzz/work/$$name; \
	  cargo +nightly fuzz run $$name fuzz/work/$$name fuzz/corpus/$$name -- \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=$$len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; \
	done

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p buergeramt --target wasm32-unknown-unknown -- -D warnings

## Forget all local data (accounts, submissions, postbox) of `make run`.
clean-data:
	rm -rf data
