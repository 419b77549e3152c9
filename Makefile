# The two commands: `make run` (install + demo data + web, worker and beat in the foreground) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install quality pytest lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || exit 1
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

## Install, migrate, load demo data, create the admin user, then run web + worker + beat until Ctrl-C.
## HOST/PORT choose the address (default 127.0.0.1:8000); SITE_URL defaults to http://$(HOST):$(PORT).
run: export DEBUG ?= 1
run: export HOST := $(HOST)
run: export PORT := $(PORT)
# Links in alerts, reminders and reports point at the server `make run` starts, unless SITE_URL says otherwise.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py demo
	$(BIN)/python manage.py ensure_admin
	@echo ""
	@echo "  Admin:    http://$(HOST):$(PORT)/admin/"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "  Health:   http://$(HOST):$(PORT)/healthz   (Ctrl-C stops web, worker and beat)"
	@echo "  Links in alerts and reports: $(SITE_URL)"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

## The whole suite: quality gates, then pytest (SQLite + embedded broker unless DATABASE_URL/CELERY_BROKER_URL say else).
test: install quality pytest

quality:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

pytest:
	$(BIN)/pytest $(PYTEST_ARGS)

## Regenerate the constraints (lock) file from the current environment after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache
