# ECS Console: `make run` starts the whole app on the local cloud, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test bench venv clean-cloud

$(VENV)/.installed: requirements.txt requirements-test.txt
	scripts/ensure-system-packages venv
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed

run: venv
	scripts/run

clean-cloud:
	rm -rf var/localcloud

# The unit and local-cloud tests run on both cores; the end-to-end tests, which start their own
# servers, run once after them.
test: venv
	scripts/ensure-system-packages test
	$(PY) -m pytest tests/clusters tests/localcloud -n 2 $(PYTEST_ARGS)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

bench: venv
	scripts/ensure-system-packages test
	TEST_DATABASE_PATH=var/bench.sqlite3 $(PY) -m pytest benchmarks -p no:cacheprovider -s
