# Two commands for a newcomer (README.md): `make demo` and `make test`.
# Everything is installed into .venv from tests/requirements.txt (exact pins);
# the collection is built and installed into .build/collections, which is
# where ansible-playbook and the tests find it.

PYTHON ?= python3
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

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export PYTHONDONTWRITEBYTECODE := 1
export ANSIBLE_NOCOLOR := 1

.PHONY: venv eda-venv collection test pytest eda unit sanity units lint importer docs-lint molecule builder matrix bench load demo bad-input-doc clean

$(BIN)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

venv: $(BIN)/.installed

# ansible-rulebook (Event-Driven Ansible) in a venv of its own: its pins
# conflict with ours (tests/eda/requirements.txt says which).
EDA_BIN := $(CURDIR)/$(BUILD)/eda-venv/bin
$(EDA_BIN)/.installed: tests/eda/requirements.txt
	$(PYTHON) -m venv $(BUILD)/eda-venv
	$(EDA_BIN)/pip install --quiet --disable-pip-version-check -r tests/eda/requirements.txt
	touch $@

eda-venv: $(EDA_BIN)/.installed

# Build the artifact users would install, and install it: the tests run what
# ships, so a file missing from the build fails them.
collection: venv
	rm -rf $(BUILD)/dist $(BUILD)/collections
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) $(ARTIFACT)

# Every suite and every quality gate. CI runs exactly this (.ci/run).
test: pytest sanity units lint importer docs-lint molecule builder matrix

# pytest: unit tests, the simulator's own tests, the SDK fidelity test, and
# the integration tests (real ansible-playbook runs against the simulator;
# tests/integration/test_demo.py runs `make demo`'s script), the event source
# and a real ansible-rulebook run (tests/eda).
pytest: collection eda-venv
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 tests/unit tests/simulator/tests tests/fidelity tests/integration tests/eda $(PYTEST_ARGS)

# The event source and the ansible-rulebook run alone.
eda: collection eda-venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/eda $(PYTEST_ARGS)

unit: collection
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit $(PYTEST_ARGS)

$(ANSIBLE_TEST_TREE): collection
	rm -rf $(BUILD)/ansible-test
	mkdir -p $(dir $(ANSIBLE_TEST_TREE))
	cp -a $(INSTALLED) $(ANSIBLE_TEST_TREE)
	cd $(ANSIBLE_TEST_TREE) && git init --quiet
	@# ansible-test bootstraps pip in its venvs with a script it downloads
	@# from a host we cannot reach; it looks in its cache first.
	$(BIN)/python tests/utils/install_get_pip.py

sanity: $(ANSIBLE_TEST_TREE)
	cd $(ANSIBLE_TEST_TREE) && $(BIN)/ansible-test sanity --local --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

units: $(ANSIBLE_TEST_TREE)
	cd $(ANSIBLE_TEST_TREE) && $(BIN)/ansible-test units --local --python $$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

lint: collection
	$(BIN)/ansible-lint

# galaxy-importer reports findings as warnings and still exits 0: any
# WARNING: or ERROR: line fails the gate. It runs as Galaxy runs it: flake8
# on (tests/utils/galaxy-importer.cfg) and the collection on no collections
# path (no ANSIBLE_COLLECTIONS_PATH or PYTHONPATH, from an empty directory).
# The importer's own exit status counts too (/bin/sh has no pipefail).
importer: collection
	rm -rf $(BUILD)/importer && mkdir -p $(BUILD)/importer
	cd $(BUILD)/importer && env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS -u PYTHONPATH \
		GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/utils/galaxy-importer.cfg \
		$(BIN)/python -m galaxy_importer.main $(CURDIR)/$(ARTIFACT) > $(CURDIR)/$(BUILD)/galaxy-importer.log 2>&1; \
		status=$$?; cat $(CURDIR)/$(BUILD)/galaxy-importer.log; exit $$status
	@! grep -E '^(WARNING|ERROR):' $(BUILD)/galaxy-importer.log
	@grep -q 'Importer processing completed successfully' $(BUILD)/galaxy-importer.log

# antsibull-docs lints the source tree (it finds nothing in an installed copy).
docs-lint: collection
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(BIN)/antsibull-changelog lint

molecule: collection
	cd extensions && $(BIN)/molecule reset && $(BIN)/molecule test

# ansible-builder writes the build context of the example execution
# environment (building the image needs a container engine), the way
# docs/awx/README.md tells a user: its files, with the collection's artifact
# beside them as collections/hwcloud-meeting.tar.gz.
builder: collection
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
matrix: collection
	$(BIN)/python tests/matrix/run_matrix.py --artifact $(CURDIR)/$(ARTIFACT) $(MATRIX_ARGS)

# The benchmark of docs/benchmark.md (not part of `make test`; a smoke test of
# its scripts is): the collection against a hand-written uri playbook
# (BENCH_ARGS e.g. "--meetings 20 --runs 5"), then the event at scale under
# the gateway's per-API rate limit (SCALE_ARGS e.g. "--meetings 1000 --forks 50
# --scenarios unlimited,limited --no-second"; defaults: 200 meetings, forks
# 20, 100 calls of an API a minute). Results and plots in .build/bench/.
BENCH_ARGS ?=
SCALE_ARGS ?=
bench: collection
	$(BIN)/python tests/benchmark/bench.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmark/event_scale.py $(SCALE_ARGS)

# The load tests at a larger size: 200 meetings, forks 20, 50 calls of an
# API per 10 s; prints the figures and writes .build/load/. (`make test`
# runs them with 16 meetings, forks 8, 8 calls per 3 s.)
load: collection
	HWMEETING_LOAD_MEETINGS=200 HWMEETING_LOAD_FORKS=20 HWMEETING_LOAD_LIMIT=50 HWMEETING_LOAD_WINDOW=10 \
		$(BIN)/python -m pytest -p no:cacheprovider -s tests/integration/test_load.py

demo: collection eda-venv
	$(BIN)/python tests/demo/run_demo.py

# docs/bad_input.md, from the messages of a run of tests/integration/
# test_bad_input.py: that test only compares the doc (so it can fail) and
# leaves the page it rendered in .build/bad_input.md. Not part of `make test`.
bad-input-doc: collection
	rm -f $(BUILD)/bad_input.md
	-$(BIN)/python -m pytest -p no:cacheprovider -q -n 2 tests/integration/test_bad_input.py -k test_doc_is_up_to_date
	cp $(BUILD)/bad_input.md docs/bad_input.md
	@echo 'docs/bad_input.md rewritten from this run; review it with git diff'

clean:
	rm -rf $(VENV) $(BUILD) tests/output
