# Two commands do all set-up on a fresh Debian machine (as root):
#   make run   set-up, then the hotline runs in the foreground (Ctrl-C stops it)
#   make test  set-up, then every test, including those against a real Asterisk
VENV   := .venv
PY     := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: setup run test bench bench-workorder bench-sms bench-speech bench-panel lint system-deps asterisk clean

setup: system-deps $(STAMP) asterisk
	$(HOTLINE) setup

system-deps:
	bash scripts/install-system-deps.sh

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

asterisk: $(STAMP)
	$(HOTLINE) pbx provision

run: setup
	$(HOTLINE) up

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/fastagi_bench.py
	$(PY) bench/workorder_bench.py
	$(PY) bench/sms_bench.py
	$(PY) bench/speech_bench.py
	$(PY) bench/panel_bench.py

bench-workorder: setup
	$(PY) bench/workorder_bench.py

bench-sms: setup
	$(PY) bench/sms_bench.py

bench-speech: setup
	$(PY) bench/speech_bench.py

bench-panel: setup
	$(PY) bench/panel_bench.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf var .pytest_cache
