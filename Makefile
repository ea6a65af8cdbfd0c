# The two commands of the README: `make demo` and `make test`.
# Everything else here is what those two need.

CARGO ?= cargo
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-sqlite test-postgres assets browser lint fuzz bench bench-returns bench-search

## Build a fresh demo database from real Ofsted data and serve it on http://127.0.0.1:8080
demo: assets
	$(CARGO) run --release -- demo

## Run every test: SQLite, then PostgreSQL (when a server answers at TEST_DATABASE_URL)
test: assets browser test-sqlite test-postgres

test-sqlite:
	env -u TEST_DATABASE_URL $(CARGO) test --workspace

test-postgres:
	@if pg_isready -q -d "$(TEST_DATABASE_URL)" 2>/dev/null; then \
		TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(CARGO) test --workspace; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(TEST_DATABASE_URL), and CI must test it" >&2; exit 1; \
	else \
		echo "NOTICE: PostgreSQL is not reachable at $(TEST_DATABASE_URL): the PostgreSQL run was skipped (.ci/run starts it)"; \
	fi

## GOV.UK Frontend and the other front-end packages, from npm (the app serves them itself)
assets: assets/node_modules/.package-lock.json

assets/node_modules/.package-lock.json: assets/package.json assets/package-lock.json
	npm ci --prefix assets --no-audit --no-fund
	@touch $@

## Chromium and chromedriver for the browser test (Debian packages)
browser:
	@command -v chromedriver >/dev/null 2>&1 || .ci/install-browser

## Fuzz every importer entry point for about a minute (cargo-fuzz, nightly); fails on a crash
fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	importers/fuzz/run.sh 8

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Benchmarks recorded in docs/performance.md
bench:
	.ci/bench-import

bench-returns: assets
	.ci/bench-returns

bench-search: assets
	.ci/bench-search
