# `make test` and `make book` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test book bench system venv clean

test: system $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m sim.bench

book:
	@echo "make book: the book (issue 4) is not written yet; the simulator runs with 'make test' and 'python -m sim'." >&2
	@exit 1

venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# System packages: installed with apt-get when running as root, otherwise named.
# Each entry is command:debian-package; add new ones here.
SYSTEM_DEPS := dot:graphviz tshark:tshark chromium:chromium nft:nftables tcpdump:tcpdump

system:
	@missing=""; \
	for dep in $(SYSTEM_DEPS); do \
	  command -v $${dep%%:*} >/dev/null 2>&1 || missing="$$missing $${dep##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing system packages:$$missing -- install them with: sudo apt-get install$$missing" >&2; \
	    echo "(tests that need them are skipped outside CI)" >&2; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis _build
