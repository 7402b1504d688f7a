# The commands the README names. `make test` is what CI runs.
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)
export OPENBLAS_NUM_THREADS ?= 1
# Real market data for tests and the demo (read-only, never copied into the project).
export TRADER_DATASETS ?= $(abspath ../shared/datasets)

.PHONY: setup build test demo bench clean

setup:
	@scripts/setup

build: setup
	swift build

# Set-up, a throwaway PostgreSQL server on a loopback port, the whole test suite, then the server is
# stopped. Fails loudly if PostgreSQL cannot be started: the database tests are never skipped.
test: setup
	@scripts/run-tests

# The main job on embedded defaults (SQLite, no network).
demo: setup
	@scripts/demo

# Release-build benchmarks; figures go in the README's performance section.
bench: setup
	@scripts/run-benchmarks

clean:
	rm -rf .build data/trader.sqlite* logs
