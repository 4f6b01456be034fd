# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export TRACKER_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/tracker.db

.PHONY: run serve test load lint format install clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)

## make run: set up, migrate an SQLite database, load the demo if empty, serve on :5000.
run: $(STAMP)
	mkdir -p instance
	$(BIN)/tracker db upgrade
	$(BIN)/tracker demo --if-empty
	$(BIN)/python -m tracker.serve

## make test: set up with the test extras and run every test, on two processes (a file's tests
## stay together: the browser tests share one app and one browser per file); PYTEST_ARGS= runs
## them one by one.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: $(TEST_STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

## make load: 50 unit users + 2 chairs for 60 s against gunicorn and a fresh PostgreSQL database
## (docs/load-test.md); LOAD_ARGS="--seconds 120" and the like pass options to the runner.
load: $(TEST_STAMP)
	$(BIN)/python tests/load/run.py $(LOAD_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance/tracker.db* .pytest_cache

## make translations: refresh the English catalogue from the Vietnamese source strings.
translations: $(TEST_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o tracker/translations/messages.pot .
	$(BIN)/pybabel update -i tracker/translations/messages.pot -d tracker/translations -l en --no-fuzzy-matching
	$(BIN)/pybabel compile -d tracker/translations
