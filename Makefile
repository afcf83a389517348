# Two commands do everything: `make run` and `make test`. Each sets up what it needs first.
# Python 3.11: python3.11 if there is one, else python3 (checked to be 3.11 before the venv is made).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run build serve test bench web-deps browser clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 2; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
		echo "Python 3.11 is required ($(PYTHON) is $$($(PYTHON) -V 2>&1)); try: make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) web-deps

# The web query page serves YASGUI from the npm package (no CDN at run time). Without npm, as root on
# Debian, npm is installed with apt-get; otherwise the page says YASGUI is missing and the browser
# test is skipped with a message.
web-deps: $(NODE_STAMP)
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
			|| echo "could not install npm"; fi; }
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && touch $(NODE_STAMP); \
	else echo "npm not found: the web page at / will say YASGUI is missing (install Node.js + npm)"; fi

# Headless Chromium for the browser test (Debian package); skipped with a message if it cannot be installed.
browser:
	@test -x /usr/bin/chromium || { \
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
