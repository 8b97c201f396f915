# Two commands do all the set-up: `make run` and `make test`. Each creates .venv on first use and installs the
# pinned dependencies from requirements.lock (re-installed when the lock or pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test serve lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsmon run

# The layers contract first (pyproject.toml [tool.importlinter]): an import pointing up fails the run.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

serve: $(STAMP)
	$(BIN)/newsmon serve

# Re-pin after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable --exclude newsmon > requirements.lock

clean:
	rm -rf $(VENV) var
