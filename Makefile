# Vigie: `make run` starts the whole system, `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
PIP    := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: help run test test-fast deps venv apt bench bench-scale clean install uninstall
.PHONY: venv-run

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

# What running needs, and nothing else: no root, no Debian package (make run says which
# optional ones are missing: requirements-apt-run.txt), only the Python packages of
# requirements.txt in .venv.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { echo "vigie: $(PYTHON) cannot make a virtualenv" \
	  "(Debian: as root, apt-get install python3-venv)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --config-settings editable_mode=compat -e .
	touch $@

$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(PIP) -r requirements-test.txt
	touch $@

venv-run: $(STAMP)  ## create .venv with what running needs (requirements.txt) and this checkout in editable form

venv: $(TEST_STAMP)  ## venv-run, and the Python packages of the tests and benches (requirements-test.txt)

apt:  ## install the Debian packages the tests and benches need (root), or print the command and fail
	bash scripts/ensure-apt.sh requirements-apt-run.txt requirements-apt-test.txt

deps: apt venv  ## everything `make test` and `make bench` need

# The suite runs in three parts (docs/development.md, "Running the tests"): the tests marked
# `waits` (little CPU, most of their time spent waiting on real time) on a pool of workers of
# their own, beside every other test not marked `serial` on `-n auto` workers; then the tests
# marked `serial`, alone. The waiting part's output is shown once both are done, and it keeps
# its own cache (for --lf). The status is not 0 if any part failed (5, no test found, is not
# a failure of the waiting or the serial part).
# TEST_ARGS="..." passes more options to pytest (e.g. TEST_ARGS="-x --lf").
# The suite starts hundreds of Python processes (workers, servers, commands): each finds
# the modules already compiled in __pycache__ rather than compiling them again.
PYTEST := $(PY) -m pytest
test test-fast: export PYTHONDONTWRITEBYTECODE :=
# The tests' temporary files (pytest's tmp_path, browser profiles, databases) go to the
# folder scripts/test-tmpdir.sh names: in memory when /dev/shm has room (TEST_TMPDIR=... to
# choose another).
test test-fast: export TMPDIR = $(shell TEST_TMPDIR='$(TEST_TMPDIR)' bash scripts/test-tmpdir.sh)

# Before the parallel parts, one collection writes the compiled test modules (pytest's
# assertion rewriting) to __pycache__: in a fresh clone each of their dozen processes
# would otherwise compile all of them at once (4 s of CPU each). Its errors, if any, are
# the parts' own errors: they say them.
WARM_UP := $(PYTEST) --collect-only -q -p no:cacheprovider >/dev/null 2>&1 || true
WAITING_WORKERS := 5
test: deps  ## run the whole test suite: in parallel (the tests that wait on real time beside the others), then the tests that must run alone
	@$(WARM_UP); status=0; waited=$$(mktemp); \
	$(PYTEST) -n $(WAITING_WORKERS) -m "waits and not serial" -o cache_dir=.pytest_cache/waits $(TEST_ARGS) \
	  >$$waited 2>&1 & waiting=$$!; \
	trap 'kill $$waiting 2>/dev/null; rm -f $$waited; exit 130' INT TERM; \
	$(PYTEST) -n auto -m "not serial and not waits" $(TEST_ARGS) || status=$$?; \
	wait $$waiting || { part=$$?; [ $$part -eq 5 ] || status=$$part; }; \
	echo "=== the tests marked waits, run beside the others:"; cat $$waited; rm -f $$waited; \
	$(PYTEST) -m serial $(TEST_ARGS) || { part=$$?; [ $$part -eq 5 ] || status=$$part; }; \
	exit $$status

test-fast: deps  ## the quick tier for the edit-test loop: every test not marked slow, in parallel
	@$(WARM_UP)
	$(PYTEST) -n auto -m "not slow and not serial" $(TEST_ARGS)

run: venv-run  ## the whole system on simulated devices, site on http://127.0.0.1:8080 (no root needed; RUN_ARGS="--port 8081")
	$(PY) -m vigie.run $(RUN_ARGS)

install:  ## install as systemd services (root; options: INSTALL_ARGS="--prefix /opt/vigie")
	bash systemd/install.sh $(INSTALL_ARGS)

uninstall:  ## remove the systemd services (keeps /etc/vigie and /var/lib/vigie; INSTALL_ARGS=--purge removes them)
	bash systemd/uninstall.sh $(INSTALL_ARGS)

bench: deps  ## run the benchmarks in bench/ and print their figures
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

bench-scale: deps  ## the scale figures: 500 x 48 beside the reference commit and net-snmp (root; SCALE_ARGS="--devices 2000 --shards 2")
	$(PY) bench/bench_scale.py --devices 500 --interfaces 48 $(SCALE_ARGS)

clean:  ## remove generated data (keeps .venv)
	rm -rf data www/* alertfiles/*
	touch www/.gitkeep alertfiles/.gitkeep
