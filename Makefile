# Two commands for a newcomer (README.md): `make demo` and `make test`.
# Everything is installed into .venv from tests/requirements.txt (exact pins);
# the collection is built and installed into .build/collections, which is
# where ansible-playbook and the tests find it.

PYTHON ?= python3
# The oldest Python the pinned ansible-core (2.19) runs on as a controller.
PYTHON_FLOOR := 3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
BUILD := .build
COLLECTIONS := $(CURDIR)/$(BUILD)/collections
INSTALLED := $(COLLECTIONS)/ansible_collections/hwcloud/meeting
# ansible-test needs a tree laid out as .../ansible_collections/<ns>/<name>
# that is not hidden by our .gitignore: a copy of the built collection.
ANSIBLE_TEST_TREE := $(CURDIR)/$(BUILD)/ansible-test/ansible_collections/hwcloud/meeting
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
ARTIFACT := $(BUILD)/dist/hwcloud-meeting-$(VERSION).tar.gz
PYTEST_ARGS ?=
# Every pytest run below fails a test that runs longer than this (seconds)
# instead of hanging the suite (pytest-timeout). ansible-test units runs
# pytest its own way (its configuration, a filtered environment) and has no
# per-test timeout.
PYTEST_TIMEOUT ?= 300
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider --timeout=$(PYTEST_TIMEOUT)

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export PYTHONDONTWRITEBYTECODE := 1
export ANSIBLE_NOCOLOR := 1

.PHONY: python-check venv demo-venv eda-venv chromium browser collection test pytest eda unit sanity units lint importer docs-lint molecule builder matrix bench load mutation demo sim bad-input-doc clean

# Before anything is installed: PYTHON must be new enough, and .venv made by
# it (a .venv of another Python is made again). Order-only: it runs every
# time, and makes nothing out of date by itself.
python-check:
	@$(PYTHON) tests/utils/check_python.py --floor $(PYTHON_FLOOR) --venv $(VENV)

PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check

# What the demo runs (the collection's own requirements, ansible-core and the
# simulator's PyYAML), at the versions of tests/requirements.txt, the one
# place pins live.
DEMO_PACKAGES := ansible-core requests urllib3 websocket-client PyYAML
$(BIN)/.installed-demo: tests/requirements.txt | python-check
	@echo "== Installing what the demo runs into .venv: $(DEMO_PACKAGES) (about a minute)"
	$(PIP_INSTALL) -c tests/requirements.txt $(DEMO_PACKAGES)
	touch $@

# Everything the tests and quality gates use (about 450 MB, a few minutes).
$(BIN)/.installed: tests/requirements.txt | python-check
	@echo "== Installing the test tool chain into .venv from tests/requirements.txt (a few minutes)"
	$(PIP_INSTALL) -r tests/requirements.txt
	touch $@ $(BIN)/.installed-demo

demo-venv: $(BIN)/.installed-demo
venv: $(BIN)/.installed

# ansible-rulebook (Event-Driven Ansible) in a venv of its own: its pins
# conflict with ours (tests/eda/requirements.txt says which).
EDA_BIN := $(CURDIR)/$(BUILD)/eda-venv/bin
$(EDA_BIN)/.installed: tests/eda/requirements.txt | python-check
	@echo "== Installing ansible-rulebook into .build/eda-venv from tests/eda/requirements.txt (about a minute)"
	$(PYTHON) -m venv $(BUILD)/eda-venv
	$(EDA_BIN)/pip install --quiet --disable-pip-version-check -r tests/eda/requirements.txt
	touch $@

eda-venv: $(EDA_BIN)/.installed

# Build the artifact users would install, and install it: the tests run what
# ships, so a file missing from the build fails them.
collection: demo-venv
	@echo "== Building the collection and installing it into .build/collections"
	rm -rf $(BUILD)/dist $(BUILD)/collections
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) $(ARTIFACT)

# Every suite and every quality gate. CI runs exactly this (.ci/run).
# ansible-test sanity runs in the matrix, once per ansible-core (2.19's is
# the pin of tests/requirements.txt, so `make sanity` would run it twice).
test: pytest units lint importer docs-lint molecule builder matrix

# Headless Chromium for tests/browser (event_status's page in a real
# browser): Debian's package, installed only where /usr/bin/chromium is
# missing, which needs root.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
		echo "== Installing Chromium from Debian for the browser tests (apt-get install chromium, a few minutes)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null && test -x $(CHROMIUM); \
	else \
		echo "The browser tests need $(CHROMIUM): run 'apt-get install -y chromium' as root (Debian), then make test again." >&2; \
		exit 1; \
	fi

# The browser tests alone.
browser: venv collection chromium
	$(PYTEST) tests/browser $(PYTEST_ARGS)

# pytest: unit tests, the simulator's own tests, the SDK fidelity test, and
# the integration tests (real ansible-playbook runs against the simulator;
# tests/integration/test_demo.py runs `make demo`'s script), the event source
# and a real ansible-rulebook run (tests/eda), and event_status's page in
# headless Chromium (tests/browser; it refreshes docs/event_status_page.png).
pytest: venv collection eda-venv chromium
	rm -rf $(BUILD)/outputs
	$(PYTEST) -n 2 tests/unit tests/simulator/tests tests/fidelity tests/integration tests/eda tests/browser $(PYTEST_ARGS)
	@# the outputs README.md and docs/ quote, against the runs those suites kept
	$(PYTEST) tests/docs

# The event source and the ansible-rulebook run alone.
eda: venv collection eda-venv
	$(PYTEST) tests/eda $(PYTEST_ARGS)

unit: venv collection
	$(PYTEST) tests/unit $(PYTEST_ARGS)

$(ANSIBLE_TEST_TREE): venv collection
	rm -rf $(BUILD)/ansible-test
	mkdir -p $(dir $(ANSIBLE_TEST_TREE))
	cp -a $(INSTALLED) $(ANSIBLE_TEST_TREE)
	@# the sanity ignore files are left out of the artifact (Galaxy warns of any)
	cp -a tests/sanity $(ANSIBLE_TEST_TREE)/tests/
	cd $(ANSIBLE_TEST_TREE) && git init --quiet
	@# ansible-test bootstraps pip in its venvs with a script it downloads
	@# from a host we cannot reach; it looks in its cache first.
	$(BIN)/python tests/utils/install_get_pip.py

sanity: $(ANSIBLE_TEST_TREE)
	cd $(ANSIBLE_TEST_TREE) && $(BIN)/ansible-test sanity --local --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

units: $(ANSIBLE_TEST_TREE)
	cd $(ANSIBLE_TEST_TREE) && $(BIN)/ansible-test units --local --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

lint: venv collection
	$(BIN)/ansible-lint

# galaxy-importer reports findings as warnings and still exits 0: any
# WARNING: or ERROR: line fails the gate. It runs as Galaxy runs it: flake8
# on (tests/utils/galaxy-importer.cfg) and the collection on no collections
# path (no ANSIBLE_COLLECTIONS_PATH or PYTHONPATH, from an empty directory).
# The importer's own exit status counts too (/bin/sh has no pipefail).
importer: venv collection
	rm -rf $(BUILD)/importer && mkdir -p $(BUILD)/importer
	cd $(BUILD)/importer && env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS -u PYTHONPATH \
		GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/utils/galaxy-importer.cfg \
		$(BIN)/python -m galaxy_importer.main $(CURDIR)/$(ARTIFACT) > $(CURDIR)/$(BUILD)/galaxy-importer.log 2>&1; \
		status=$$?; cat $(CURDIR)/$(BUILD)/galaxy-importer.log; exit $$status
	@! grep -E '^(WARNING|ERROR):' $(BUILD)/galaxy-importer.log
	@grep -q 'Importer processing completed successfully' $(BUILD)/galaxy-importer.log

# antsibull-docs lints the source tree (it finds nothing in an installed copy).
docs-lint: venv collection
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(BIN)/antsibull-changelog lint

molecule: venv collection
	cd extensions && $(BIN)/molecule reset && $(BIN)/molecule test

# ansible-builder writes the build context of the example execution
# environment (building the image needs a container engine), the way
# docs/awx/README.md tells a user: its files, with the collection's artifact
# beside them as collections/hwcloud-meeting.tar.gz.
builder: venv collection
	rm -rf $(BUILD)/ee $(BUILD)/ee-context
	mkdir -p $(BUILD)/ee/collections
	cp docs/awx/execution-environment.yml docs/awx/requirements.yml docs/awx/requirements.txt $(BUILD)/ee/
	cp $(ARTIFACT) $(BUILD)/ee/collections/hwcloud-meeting.tar.gz
	$(BIN)/ansible-builder create --file $(BUILD)/ee/execution-environment.yml --context $(BUILD)/ee-context --output-filename Containerfile
	test -f $(BUILD)/ee-context/Containerfile
	test -f $(BUILD)/ee-context/_build/collections/hwcloud-meeting.tar.gz
	grep -q 'COPY _build/collections/ /build/collections/' $(BUILD)/ee-context/Containerfile

# The version matrix (tests/matrix/run_matrix.py): each supported
# ansible-core in a venv of its own (.build/matrix/<version>/, from the pins
# of tests/matrix/ansible-core-<version>.txt) runs its `ansible-test sanity`
# and a slice of the integration tests; prints a table of version x suite.
# MATRIX_ARGS e.g. "--versions 2.16 --suites integration".
MATRIX_ARGS ?=
matrix: venv collection
	$(BIN)/python tests/matrix/run_matrix.py --artifact $(CURDIR)/$(ARTIFACT) $(MATRIX_ARGS)

# The benchmark of docs/benchmark.md (not part of `make test`; a smoke test of
# its scripts is): the collection against a hand-written uri playbook
# (BENCH_ARGS e.g. "--meetings 20 --runs 5"), then the event at scale under
# the gateway's per-API rate limit (SCALE_ARGS e.g. "--meetings 1000 --forks 50
# --scenarios unlimited,limited --no-second"; defaults: 200 meetings, forks
# 20, 100 calls of an API a minute), then event_check's estimate against
# event_start's real time (PREFLIGHT_ARGS e.g. "--meetings 200,1000").
# Results and plots in .build/bench/.
BENCH_ARGS ?=
SCALE_ARGS ?=
PREFLIGHT_ARGS ?=
bench: venv collection
	$(BIN)/python tests/benchmark/bench.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmark/event_scale.py $(SCALE_ARGS)
	$(BIN)/python tests/benchmark/preflight.py $(PREFLIGHT_ARGS)

# The load tests at a larger size: 200 meetings, forks 20, 50 calls of an
# API per 10 s; prints the figures and writes .build/load/. (`make test`
# runs them with 16 meetings, forks 8, 8 calls per 3 s.) Its runbook runs
# may take up to 600 s each (run_playbook's ceiling).
load: venv collection
	HWMEETING_LOAD_MEETINGS=200 HWMEETING_LOAD_FORKS=20 HWMEETING_LOAD_LIMIT=50 HWMEETING_LOAD_WINDOW=10 \
		$(PYTEST) --timeout=1500 -s tests/integration/test_load.py

# Mutation testing of the core files (tests/mutation/mutate.py): a sample of
# mutants drawn with a seed, each run against the fast tests that cover its
# file in a scratch copy of the tree; prints killed, survived and hung per
# file and overall. Not part of `make test`: on two cores about 16 minutes in
# two shards at once (--shard 1/2 and 2/2, each with --json, then --report;
# tests/mutation/mutate.py --help), about twice that in one. MUTATION_ARGS e.g. "--seed 7
# --sample 100", or "--only plugins/module_utils/client.py:291 --tests
# tests/unit/...::test_x" to show a test kills a mutant.
MUTATION_ARGS ?= --seed 2026 --sample 225
mutation: venv collection
	$(BIN)/python tests/mutation/mutate.py $(MUTATION_ARGS)

# The demo installs only what it runs: .venv with the collection's
# requirements, and, when Java 17 is here for ansible-rulebook, the event
# guard's .build/eda-venv; without Java it says that it skips that step.
demo: collection
	@if $(BIN)/python tests/eda/guard.py --java > /dev/null; then \
		$(MAKE) --no-print-directory eda-venv; \
	else \
		echo "== No Java 17 here (JAVA_HOME, or a JDK 17 under /usr/lib/jvm): the demo skips its last step, the event guard (ansible-rulebook needs Java 17)"; \
	fi
	@echo "== Running the demo: tests/demo/run_demo.py"
	$(BIN)/python tests/demo/run_demo.py

# The demo's simulator, to keep using after the demo: it prints the
# HWMEETING_* variables to export in another shell, and runs until Ctrl-C.
SIM_PORT ?= 0
sim: collection
	$(BIN)/python tests/demo/sim.py --port $(SIM_PORT)

# docs/bad_input.md, from the messages of a run of tests/integration/
# test_bad_input.py: that test only compares the doc (so it can fail) and
# leaves the page it rendered in .build/bad_input.md. Not part of `make test`.
bad-input-doc: venv collection
	rm -f $(BUILD)/bad_input.md
	-$(PYTEST) -q -n 2 tests/integration/test_bad_input.py -k test_doc_is_up_to_date
	cp $(BUILD)/bad_input.md docs/bad_input.md
	@echo 'docs/bad_input.md rewritten from this run; review it with git diff'

clean:
	rm -rf $(VENV) $(BUILD) tests/output
