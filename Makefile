# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install demo test services bench-issuance bench-imports bench-verify lint messages

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt

# The English catalogue: re-extract after changing user-facing strings, then fill and compile.
messages: install
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=bench --ignore=tests
	$(PY) scripts/translate_en.py
	$(PY) manage.py compilemessages -l en --ignore=.venv

# The embedded default: SQLite, Celery tasks in-process (REDIS_URL unset), demo data loaded.
demo: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_demo
	@echo ""
	@echo "  The registry runs at http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/, API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@echo ""
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

services:
	./scripts/ensure-services

# The whole suite against the real PostgreSQL and Redis (a real Celery worker where needed).
test: install services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Issuance benchmark (a scratch database bench_registry; its own Celery worker). COUNT=100000 by default.
COUNT ?= 100000
bench-issuance: install services
	REDIS_URL= $(PY) bench/issuance.py --count $(COUNT)

# Roster import benchmark (a scratch database bench_imports): XLSX and CSV. ROWS=10000 by default.
ROWS ?= 10000
bench-imports: install services
	REDIS_URL= $(PY) bench/imports.py --rows $(ROWS)

# Verification benchmark (a scratch database bench_verify, reused when it already holds N
# certificates): gunicorn with 2 workers driven by wrk (a Debian package, installed if missing).
# N=1000000 by default.
N ?= 1000000
bench-verify: install services
	command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	REDIS_URL= $(PY) bench/verify.py --count $(N)
