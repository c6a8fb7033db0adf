# CreditHub: the two commands.
#   make run   builds and starts the server on the embedded SQLite store (./data), http://127.0.0.1:8080
#   make test  runs every test, with a throw-away PostgreSQL for the storage conformance suite
SWIFT ?= swift
SWIFT_TEST_FLAGS ?=

.PHONY: run test build deps-run deps-test smoke release clean-data bench

run: deps-run
	$(SWIFT) build --product credithub
	$(SWIFT) run credithub serve

test: deps-test
	$(SWIFT) build --build-tests
	scripts/with-postgres.sh scripts/test-watchdog.sh $(SWIFT) test --skip-build $(SWIFT_TEST_FLAGS)

build: deps-run
	$(SWIFT) build

release: deps-run
	$(SWIFT) build -c release --product credithub

smoke:
	scripts/install-deps.sh smoke
	docker/smoke.sh

deps-run:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

clean-data:
	rm -rf ./data
