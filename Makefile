# ECS Console: `make run` starts the whole app on the local cloud, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# npm ci writes this file last: it stands for node_modules installed from package-lock.json.
NODE_MODULES := node_modules/.package-lock.json

.PHONY: run dev test bench fuzz venv clean-cloud peer-suite

$(VENV)/.installed: requirements.txt requirements-test.txt
	scripts/ensure-system-packages venv
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed

# axe-core, which the accessibility browser tests inject into each page.
$(NODE_MODULES): package.json package-lock.json
	scripts/ensure-system-packages test
	npm ci --no-audit --no-fund
	touch $@

run: venv
	scripts/run

# As make run, but the web app is Django's runserver with DEBUG on, reloaded on every change.
dev: venv
	scripts/run --development

clean-cloud:
	rm -rf var/localcloud

# The unit and local-cloud tests run on both cores on SQLite, then those that open the database
# again on PostgreSQL (DATABASE_URL's, else a throwaway server: scripts/with-postgres); the
# end-to-end tests, which start their own servers, run after them on SQLite, a module to a
# worker (--dist loadscope), so a module's servers (make run's, a freezable cloud) start once.
test: venv $(NODE_MODULES)
	scripts/ensure-system-packages test
	env -u DATABASE_URL $(PY) -m pytest tests --ignore=tests/e2e -n 2 $(PYTEST_ARGS)
	scripts/with-postgres $(PY) -m pytest tests --ignore=tests/e2e -m database -n 2 $(PYTEST_ARGS)
	env -u DATABASE_URL $(PY) -m pytest tests/e2e -n 2 --dist loadscope $(PYTEST_ARGS)

bench: venv $(NODE_MODULES)
	scripts/ensure-system-packages test
	WRITE_BENCHMARKS_DOCUMENT=1 TEST_DATABASE_PATH=var/bench.sqlite3 $(PY) -m pytest benchmarks -p no:cacheprovider -s

# 10,000 random posts to every page that takes a form: none may answer 5xx.
fuzz: venv
	FUZZ_EXAMPLES=10000 $(PY) -m pytest tests/clusters/test_fuzzed_posts.py -p no:cacheprovider -s

# moto 5.2.5's own tests of ECS, Auto Scaling, CloudFormation, SSM, IAM and EC2 instances, AMIs
# and launch templates, in server mode against plain moto and then against the local cloud
# (scripts/peer-suite): every test that passes on moto and not here is a regression unless
# localcloud/README.md lists it as AWS's behaviour. Not part of make test. PEER_SUITE_ARGS="-n 2"
# gives each of two workers servers of their own.
peer-suite: venv
	$(PY) scripts/peer-suite $(PEER_SUITE_ARGS)
