# Hàng Chờ — the two commands of the README: `make run` and `make test`.
# Everything is installed into the project itself (.venv, node_modules, var/); Debian packages that
# the browser tests, the voice pack and the ticket font need are installed with apt-get when missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Debian packages: Chromium for the browser tests (never a browser download), espeak-ng for the
# offline voice pack, DejaVu for the printed ticket's Vietnamese raster lines.
SYSTEM_PACKAGES := chromium espeak-ng fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run reset test fuzz install install-dev system-packages node voice-pack clean help

help:
	@echo "make run   - install, migrate, seed the demo centre and start server + simulated devices"
	@echo "make reset - forget the demo's data and printed tickets (stop make run first)"
	@echo "make test  - install what the tests need and run the whole suite"
	@echo "make fuzz  - fuzz the API with schemathesis for long (EXAMPLES=1000 DATABASE=sqlite|postgres)"

system-packages: $(VENV)/.system-packages
$(VENV)/.system-packages: Makefile
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/.installed node voice-pack
$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

install-dev: install $(VENV)/.installed-dev system-packages
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	touch $@

node: node_modules/.installed
node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

voice-pack: $(VENV)/.installed system-packages
	$(PY) -m display.voice.generate --if-missing

run: install system-packages
	$(PY) -m server demo

# Start the demo again from nothing: its database, device map, simulated devices and printed tickets go;
# the installs, the voice pack and the secret key stay.
reset:
	rm -rf var/hangcho.sqlite3 var/hangcho.sqlite3-wal var/hangcho.sqlite3-shm var/devices.json var/*.uplink-*.lock \
	  var/central.sqlite3 var/central.sqlite3-wal var/central.sqlite3-shm \
	  var/sim-devices var/sim-printouts var/hardware-sim.sock

# The suite waits mostly on servers, browsers and databases: a few more workers than cores keep both busy.
TEST_WORKERS ?= 4

test: install-dev
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=25

# The long API fuzz run (docs/security.md); `make test` runs a short one.
EXAMPLES ?= 1000
DATABASE ?= sqlite
fuzz: install-dev
	$(PY) -m bench.fuzz_api --examples $(EXAMPLES) --database $(DATABASE)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
