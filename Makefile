# Two commands for a newcomer (README.md): `make demo` and `make test`.
# Everything is installed into .venv from tests/requirements.txt (exact pins);
# the collection is built and installed into .build/collections, which is
# where ansible-playbook and the tests find it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUILD := .build
COLLECTIONS := $(CURDIR)/$(BUILD)/collections
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
ARTIFACT := $(BUILD)/dist/hwcloud-meeting-$(VERSION).tar.gz
PYTEST_ARGS ?=

export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(COLLECTIONS)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv collection test unit simulator-tests fidelity integration demo clean

$(BIN)/.installed: tests/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

venv: $(BIN)/.installed

# Build the artifact users would install, and install it: the tests run what
# ships, so a file missing from the build fails them.
collection: venv
	rm -rf $(BUILD)/dist $(BUILD)/collections
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)/dist
	$(BIN)/ansible-galaxy collection install --force -p $(COLLECTIONS) $(ARTIFACT)

unit: collection
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test: collection
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit tests/simulator/tests tests/fidelity tests/integration $(PYTEST_ARGS)

demo: collection
	$(BIN)/python tests/demo/run_demo.py

clean:
	rm -rf $(VENV) $(BUILD) tests/output
