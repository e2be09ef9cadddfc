# `make test` and `make book` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
LIVE_STAMP := node_modules/.op1-live/.installed

.PHONY: test book book-instructor book-secret-notice bench bench-view bench-grade bench-live bench-pages kernel-soak system venv clean

test: system $(STAMP) $(NODE_STAMP) $(LIVE_STAMP) book
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m sim.bench

bench-view: $(STAMP)
	$(PY) -m sim.view.bench

# Grading a class: 500 answer files of chapter 6 written, then graded as an instructor does;
# prints the time and the peak memory (not a timed test).  STUDENTS=N CHAPTER=C to vary it.
bench-grade: $(STAMP)
	$(PY) -m sim.exercises.bench --students $(or $(STUDENTS),500) --chapter $(or $(CHAPTER),6)

# The kernel lab's tests five times in a row beside 4 CPU-bound processes (root; about 20
# minutes on 2 cores): a kernel test must not depend on the machine's load.  Not in `make test`.
kernel-soak: system $(STAMP)
	$(PY) tests/kernel_soak.py --runs 5 --burners 4

# The book: Jupyter Book 1, every chapter executed; a warning or a failing cell fails the build.
BOOK_STAMP := $(VENV)/.book-installed

# jupyter-cache keys a chapter on its own text only: when the simulator or the book's helpers
# change, the executed chapters are thrown away so every number is recomputed.  The chapters
# the cache lacks are executed into it two at a time first (book/execute_parallel.py): Jupyter
# Book runs them one after another, leaving a core idle.  execute_parallel then runs the
# jupyter-book build (the command after --) while it makes the live panels' snapshot on the
# core Sphinx leaves idle, and stops that maker if the build fails or is interrupted.
BOOK_DEPS = find sim book/booklib.py book/op1_exercises.py \( -name '*.py' -o -name '*.css' -o -name '*.js' \) -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16

# The book's pages never use a course secret (they are published: variants made with it would publish
# every student's graded variant): the chapters run without OP1_COURSE_SECRET (book/op1_exercises.py),
# and a cache of chapters not marked as run without it is thrown away.  Said in one line when it is set.
book-secret-notice:
	@if [ -n "$$OP1_COURSE_SECRET" ]; then echo "make: note: OP1_COURSE_SECRET is set: the book ignores it (its pages are published and never use a course secret; give it to page, sheet, notebooks and grade)"; fi

# The repository the launch buttons name (book/op1_live.py): a bad OP1_REPOSITORY_URL gets one line here.
book: book-secret-notice system $(STAMP) $(BOOK_STAMP) $(NODE_STAMP) $(LIVE_STAMP)
	@$(PY) book/op1_live.py repository > /dev/null
	@h=$$($(BOOK_DEPS)); if [ "$$(cat _build/.book-deps 2>/dev/null)" != "$$h" ]; then \
	  rm -rf _build/.jupyter_cache _build/jupyter_execute _build/.doctrees _build/sx-replays; fi
	@# a page that moved or left the table of contents would stay in _build/html from the
	@# last build, reachable by old links: the pages are written afresh when _toc.yml changed
	@if ! cmp -s _toc.yml _build/.toc-built; then rm -rf _build/html _build/.doctrees; fi
	$(PY) book/execute_parallel.py _build/.jupyter_cache -- $(PY) book/jupyter_book_build.py build . -W -n --keep-going
	@$(BOOK_DEPS) > _build/.book-deps
	@cp _toc.yml _build/.toc-built

# The instructor edition (issue 5): the same chapters with every exercise's key shown
# (sim.exercises reads SIM_EXERCISES_KEY=1), built into _build/instructor with its own cache, its
# chapters executed two at a time first as for make book.
book-instructor: book-secret-notice system $(STAMP) $(BOOK_STAMP)
	@$(PY) book/op1_live.py repository > /dev/null
	@h=$$($(BOOK_DEPS)); if [ "$$(cat _build/instructor/.book-deps 2>/dev/null)" != "$$h" ]; then \
	  rm -rf _build/instructor/_build; fi
	SIM_EXERCISES_KEY=1 $(PY) book/execute_parallel.py _build/instructor/_build/.jupyter_cache -- \
	  $(PY) book/jupyter_book_build.py build . -W -n --keep-going --path-output _build/instructor
	@$(BOOK_DEPS) > _build/instructor/.book-deps

bench-book: $(STAMP) $(BOOK_STAMP) $(NODE_STAMP) $(LIVE_STAMP)
	$(PY) book/bench_book.py

# The live panels (issue 11): Run to first frame in Chromium, cold and warm, second runs, and the
# bytes the live mode adds to the site and to each page (not a timed test).
bench-live: book
	$(PY) book/bench_live.py

# Opening each chapter on a phone (first visit, CPU slowed 4x): bytes, load, long tasks, a player's
# step; as built and with the theme's fontawesome.js put back (book/op1_icons.py; not a timed test).
bench-pages: book
	$(PY) book/bench_pages.py

$(BOOK_STAMP): requirements-book.txt pyproject.toml $(STAMP)
	$(PY) -m pip install -q -r requirements-book.txt
	touch $@

venv: $(STAMP)

# Front-end code from the npm registry (package.json, exact versions in package-lock.json):
# installed into node_modules/ at build time, never committed.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The live panels' files made from installed packages only (book/op1_inpage.py --install: Pyodide's
# trimmed standard library and gzipped WebAssembly, scapy's wheel and its bytecode, and Pyodide's
# memory just after its start-up, which book/_live/snapshot.mjs --base makes and the snapshot maker
# restores), made once after the installs into node_modules/.op1-live, each named by the hash of
# what it is made from: a cold build (no _build) finds them; what depends on sim/ is made by the build.
$(LIVE_STAMP): $(NODE_STAMP) $(STAMP) book/op1_inpage.py book/_live/compile_pyc.mjs book/_live/snapshot.mjs
	$(PY) book/op1_inpage.py --install
	touch $@

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# System packages: installed with apt-get when running as root, otherwise named.
# Each entry is command:debian-package; add new ones here.
SYSTEM_DEPS := dot:graphviz tshark:tshark chromium:chromium nft:nftables tcpdump:tcpdump ip:iproute2 conntrack:conntrack curl:curl node:nodejs npm:npm

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
