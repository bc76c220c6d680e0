# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: install demo test services bench-issuance bench-imports bench-statistics bench-pages bench-verify lint messages

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
# PUBLIC_BASE_URL follows PORT, so share links, QR codes and credentials point at the running address;
# issuance runs in a background thread, in small paced chunks, so the batch's progress bar is seen moving.
DEMO_URL ?= http://127.0.0.1:$(PORT)
DEMO_ENV := DJANGO_DEBUG=1 REDIS_URL= PUBLIC_BASE_URL=$(DEMO_URL) ISSUANCE_CHUNK_SIZE=2 ISSUANCE_PACE_SECONDS=0.7
demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py load_demo
	@echo ""
	@echo "  The registry runs at $(DEMO_URL)/  (admin: $(DEMO_URL)/admin/, API docs: $(DEMO_URL)/api/docs/)"
	@echo ""
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

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

# Statistics benchmark (a scratch database bench_statistics): N certificates written with COPY,
# one refresh of the summary tables, every figure read. CERTIFICATES=1000000 by default.
CERTIFICATES ?= 1000000
bench-statistics: install services
	REDIS_URL= $(PY) bench/statistics.py --count $(CERTIFICATES)
# List pages benchmark (a scratch database bench_pages): query counts and p95 per page. CERTS=1000000 by default.
CERTS ?= 1000000
bench-pages: install services
	REDIS_URL= $(PY) bench/pages.py --count $(CERTS)
# Verification benchmark (a scratch database bench_verify, reused when it already holds N
# certificates): gunicorn with 2 workers driven by wrk (a Debian package, installed if missing).
# N=1000000 by default.
N ?= 1000000
bench-verify: install services
	command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	REDIS_URL= $(PY) bench/verify.py --count $(N)
