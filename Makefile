# Two entry points for a fresh Debian/Ubuntu machine (run as root, or with sudo for apt-get):
#   make demo   installs everything and runs the main job on samples/
#   make test   installs the same plus test dependencies and runs the tests
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
APT_PACKAGES := tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd poppler-utils qpdf fonts-dejavu-core jbig2dec softhsm2 \
	postgresql postgresql-contrib redis-server chromium
DEMO_ARCHIVE ?= demo-archive

.PHONY: demo test system venv clean

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

venv: system $(PY)
	$(PY) -m pip install -q -e .

demo: venv
	$(PY) samples/make_samples.py --check
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" SOHOA_ARCHIVE="$(DEMO_ARCHIVE)" bash samples/demo.sh

test: system $(PY)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(DEMO_ARCHIVE) *.egg-info
