# Two commands on a fresh machine:
#   make run    set up .venv and open the app on the demo case
#   make test   set up .venv (+ Debian packages the tests need, when root) and run every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Debian packages: Qt under Xvfb (libxcb-icccm4 and libxcb-keysyms1: without them Qt blames
# libxcb-cursor0), and the real tools the tests talk to.
DEBS := xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-shape0 \
        libxcb-randr0 libxcb-render-util0 libxcb-image0 libegl1 libgl1 libfontconfig1 libdbus-1-3 \
        dcmtk dicom3tools orthanc age p7zip-full xorriso poppler-utils tesseract-ocr tesseract-ocr-spa

.PHONY: run test system-deps venv lint bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m ui.app --demo

system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "Not root: please install these Debian packages for the full test suite:$$missing"; \
	fi

test: system-deps $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/import_bench.py

clean:
	rm -rf $(VENV) build dist *.egg-info
