# Two commands do all the set-up: `make run` and `make test`. Each creates .venv on first use and installs the
# pinned dependencies from requirements.lock (re-installed when the lock or pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test serve lock clean chromium

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsmon run

# The layers contract first (pyproject.toml [tool.importlinter]): an import pointing up fails the run.
test: $(STAMP) chromium
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The web view's browser tests drive Debian's Chromium (with Korean fonts). Installed here when missing and apt runs
# as root; otherwise those tests skip and say why. Never fails the test run itself.
chromium:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium, chromium-driver and fonts-noto-cjk for the browser tests"; \
	  ( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver fonts-noto-cjk >/dev/null ) \
	    || echo "could not install Chromium: the browser tests will be skipped"; \
	else echo "no Chromium and no apt-get as root: the browser tests will be skipped"; fi

serve: $(STAMP)
	$(BIN)/newsmon serve

# Re-pin after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable --exclude newsmon > requirements.lock

clean:
	rm -rf $(VENV) var
