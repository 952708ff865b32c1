# Rekkevidde — the two commands a newcomer needs are `make run` and `make test`.
# Both start a private ClickHouse under ./var/clickhouse (Debian's clickhouse-server, installed on
# first use) on 127.0.0.1:$(CH_TCP_PORT); `make clickhouse-stop` stops it.

SHELL := /bin/bash
GO ?= go
BIN := bin/rekkevidde
CH_TCP_PORT ?= 19000
CH_HTTP_PORT ?= 18123
export REKKEVIDDE_CH_TCP_PORT := $(CH_TCP_PORT)
export REKKEVIDDE_CH_HTTP_PORT := $(CH_HTTP_PORT)
export REKKEVIDDE_CLICKHOUSE_ADDR ?= 127.0.0.1:$(CH_TCP_PORT)
export REKKEVIDDE_TEST_CLICKHOUSE ?= 127.0.0.1:$(CH_TCP_PORT)

.PHONY: help build run test test-cluster test-compat test-short bench vet lint fmt fmt-check tidy-check clickhouse-start clickhouse-stop clickhouse-status migrate demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

build: ## build bin/rekkevidde
	$(GO) build -o $(BIN) ./cmd/rekkevidde

run: clickhouse-start build ## start ClickHouse, migrate, load demo data if empty, serve the dashboard
	$(BIN) migrate
	$(BIN) demo
	$(BIN) serve --demo-admin

# scripts/chromium.sh installs Debian's Chromium on first use and prints its path for the browser
# test (dashboard/browser_test.go); if it fails, make stops rather than run a test that can only fail.
test: clickhouse-start vet lint fmt-check tidy-check ## vet, staticcheck, format and go.mod checks, and every test (integration ones on the local ClickHouse, the browser test in Chromium) with -race
	@scripts/clickhouse.sh drop-test-databases
	chromium="$$(scripts/chromium.sh)" && REKKEVIDDE_CHROMIUM="$$chromium" $(GO) test -race -count=1 -timeout 40m ./...

# The cluster never touches the private ClickHouse of `make run`/`make test`: its own ZooKeeper and
# four servers on other ports, under ./var/cluster, started and stopped by the script.
test-cluster: ## start ZooKeeper and a 2×2 ClickHouse cluster (installs them on first use) and test Rekkevidde on it
	scripts/cluster.sh test

# libchdb.so (npm @chdb/lib-linux-x64-gnu, ~530 MB) is fetched once into ./var/chdb.
test-compat: clickhouse-start ## schema and every read-layer query on 18.16 and on a current ClickHouse (chdb), results compared
	scripts/compat.sh

test-short: ## unit tests only, no ClickHouse
	$(GO) test -short -count=1 ./...

# rekkevidde bench drops and fills databases of its own (<database>_bench_demo, _1y, _2y, _10y) and
# prints PASS/FAIL per speed and memory target (README "Performance"); about two minutes.
bench: clickhouse-start build ## Go benchmarks, then the speed and memory targets measured on loopback (rekkevidde bench)
	$(GO) test -run '^$$' -bench . -benchtime 0.5s -benchmem ./internal/cache/ ./dashboard/
	@# API calls of a three-year backfill per source against its fake vs the provider's minimum (≤ 1.1×).
	$(GO) test -run '^$$' -bench APICalls -benchtime 1x ./collectors/...
	$(BIN) bench

vet: ## go vet
	$(GO) vet ./...

lint: ## staticcheck at the pinned version (scripts/staticcheck.sh installs it on first use)
	$$(scripts/staticcheck.sh) ./...

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

fmt-check: ## fail if any file is not gofmt'ed
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './var/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

tidy-check: ## fail if go.mod or go.sum are not tidy
	$(GO) mod tidy -diff

clickhouse-start: ## start the private ClickHouse (installs it on first use)
	@scripts/clickhouse.sh start

clickhouse-stop: ## stop the private ClickHouse
	@scripts/clickhouse.sh stop

clickhouse-status: ## is the private ClickHouse running?
	@scripts/clickhouse.sh status

migrate: clickhouse-start build ## apply schema migrations
	$(BIN) migrate

demo: clickhouse-start build ## load demo data (only into an empty database)
	$(BIN) demo

clean: clickhouse-stop ## stop ClickHouse and delete bin/ and var/ (all local data)
	rm -rf bin var
