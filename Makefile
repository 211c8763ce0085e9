# posenet_mobile: `make demo` runs the main job, `make test` runs the test suite.
# Both create .venv on first use and install the package with its test extras.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Test processes: most tests build tiny models, which is single-threaded Python work, so one
# process per core nearly halves the wall time; a test file stays on one worker, keeping its
# module fixtures (trained tiny runs) shared; tests/conftest.py's scheduler hands out files by
# their seconds in tests/durations.json. posecore's JUnit tests run as one of those tests.
PYTEST_WORKERS ?= 2

.PHONY: test lint demo install sysdeps clean

# System packages the build needs (Debian); idempotent, installs only what is missing.
sysdeps:
	@bash scripts/sysdeps.sh

$(STAMP): setup.cfg pyproject.toml
	@bash scripts/sysdeps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check posenet_mobile tests benchmarks scripts training
	$(VENV)/bin/ruff format --check posenet_mobile tests benchmarks scripts training

test: lint
	POSENET_REQUIRE_JAVA=1 $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	@if [ -f build/java/junit.log ]; then tail -n 6 build/java/junit.log; fi

demo: $(STAMP)
	$(VENV)/bin/posenet-mobile demo --out demo_output

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache demo_output
