# Two commands (README): `make build` builds the course, `make test` runs the tests.
# Both create or reuse the environment in .venv first.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed

.PHONY: env build test test-fast browser clean

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml $(wildcard grading/*.py)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -r requirements-nodeps.txt
	$(VENV)/bin/pip install -q --no-deps --force-reinstall .
	touch $@

env: $(STAMP)

build: env
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/python -m tools.course build

# Debian's Chromium for the browser smoke test (Playwright cannot download browsers
# here); installed once when missing and we may (root with apt-get).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium not installed: the browser smoke test will be skipped"

test: env browser
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/python -m pytest

test-fast: env
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/python -m pytest -m "not slow"

# Generated folders only: never gradebook.db, submitted/, autograded/ or feedback/
# (grades and student work; docs/MANUAL_GRADING.md says how to back them up).
clean:
	rm -rf build autograder solutions bundles
