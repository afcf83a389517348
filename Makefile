# Two commands do everything: `make run` and `make test`. Each sets up what it needs first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run build serve test bench web-deps browser clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) web-deps

# The web query page serves YASGUI from the npm package (no CDN at run time).
web-deps: $(NODE_STAMP)
$(NODE_STAMP): package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --silent && touch $(NODE_STAMP); \
	else echo "npm not found: the web page at / will say YASGUI is missing (install Node.js + npm)"; fi

# Headless Chromium for the browser test (Debian package); skipped with a message if it cannot be installed.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium: the browser test will be skipped"; \
		else echo "chromium not installed (apt-get install chromium): the browser test will be skipped"; fi; }

build: setup
	$(BIN)/bukamal build

serve: build
	$(BIN)/bukamal serve --host $(HOST) --port $(PORT)

run: serve

test: setup browser
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules store
