# Paper Digest. `make demo` runs the real job offline; `make test` runs every test.
PY := .venv/bin/python
PORT ?= 8000

.PHONY: demo test bench venv samples clean

.venv/installed: requirements.txt requirements-dev.txt
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -r requirements-dev.txt
	touch $@

venv: .venv/installed

# The demo needs no mail server: confirmations and digests are written as files.
demo: export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend
demo: venv
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py demo
	@echo "Admin (review queue): http://127.0.0.1:$(PORT)/admin/"
	@echo "Public site:          http://127.0.0.1:$(PORT)/"
	@echo "Mail (subscriptions): written as files to $$($(PY) -c 'from digest import settings; print(settings.EMAIL_FILE_PATH)')/"
	@echo "Starting the django-q2 cluster and the web server (Ctrl-C stops both)..."
	@exec $(PY) manage.py rundemo --port $(PORT)

test: venv
	$(PY) -m pytest -n 3 --dist loadgroup --durations=10

bench: venv
	$(PY) bench/run.py
	$(PY) bench/unsupported.py
	$(PY) bench/summaries.py
	$(PY) bench/mail.py
	$(PY) bench/cache.py
	$(PY) bench/site.py

samples: venv
	$(PY) samples/build.py

clean:
	rm -rf var .pytest_cache
