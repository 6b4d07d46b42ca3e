# The README's two commands: `make book` and `make test`. Each sets up what it needs:
# a virtual environment with the pinned packages, the package itself, and the offline data.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONHASHSEED := 0
# Executed pages (the book, nbval) show training as a short per-epoch table, not a progress bar.
export CNNMATH_PROGRESS ?= summary
# Float results, and so the stored notebook outputs, are the same on every machine because every
# Python of the environment starts with one thread and AVX2 kernels (cnnmath/determinism.py: the
# one place that says which; `make env` writes them into .venv as a .pth file, so the targets below,
# the kernels that execute the book and a reader's `.venv/bin/jupyter lab` all get them).
# Parallelism comes from processes instead: the tests run on every core (pytest-xdist).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: book student-book a11y test unit notebooks lint data env clean

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml cnnmath/determinism.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m cnnmath.determinism install
	touch $(STAMP)

# Fashion-MNIST comes from Debian's package where apt is available; the data module also reads a
# user cache or downloads (verified) when online. Nothing here fails if apt is missing.
data:
	@bash scripts/get-data.sh

# qemu-user from Debian: the test that runs the book's kernels on emulated AVX2 Intel and AMD CPUs.
.PHONY: qemu
qemu:
	@bash scripts/get-qemu.sh

# Debian's TeX packages (scripts/get-tex.sh; never texlive-fonts-extra): `tex-minimal` is what the
# tests need (pdflatex, amsmath, pdftotext), `tex` what `make pdf` and the paper exams need.
.PHONY: tex tex-minimal
tex-minimal:
	@bash scripts/get-tex.sh minimal
tex:
	@bash scripts/get-tex.sh full

# Every chapter is executed once per build, $(JOBS) at a time (each kernel on one thread), into a
# fresh jupyter-cache; the build reads the outputs from there (execute_notebooks: cache) and fails
# on any cell error or Sphinx warning.
CACHE := $(CURDIR)/_build/.jupyter_cache
book: $(STAMP) data
	$(BIN)/python scripts/execute_chapters.py --cache $(CACHE) --jobs $(JOBS)
	mkdir -p _build/book
	printf 'execute:\n  execute_notebooks: cache\n  cache: %s\n' '$(CACHE)' > _build/book/overlay.yml
	$(BIN)/python -m cnnmath.quiz.student merge-config _config.yml _build/book/overlay.yml \
		-o _build/book/_config.yml
	$(BIN)/jupyter-book build . --config _build/book/_config.yml --warningiserror --keep-going
	@echo "The book is in _build/html/index.html"

# The student edition: the book without the exercises' solutions (quizzes kept), rendered from the
# chapters' stored outputs. _config_student.yml is merged over _config.yml (mappings merged, lists
# extended: cnnmath.quiz.student.merge_config).
STUDENT := _build/student
student-book: $(STAMP)
	$(BIN)/python -m cnnmath.quiz.student merge-config _config.yml _config_student.yml \
		-o $(STUDENT)/_config.yml
	$(BIN)/jupyter-book build . --config $(STUDENT)/_config.yml --path-output $(STUDENT) --warningiserror --keep-going
	$(BIN)/python -m cnnmath.quiz.student check-build $(STUDENT)/_build/html book --public cnnmath
	@echo "The student edition is in $(STUDENT)/_build/html/index.html"

# The print edition: the book as one PDF, typeset by LaTeX from Debian's TeX packages (`make tex`),
# rendered from the chapters' stored outputs like the student edition (settings in _config_pdf.yml,
# cnnmath.print_edition); fails on any Sphinx warning or LaTeX error. The student PDF has no
# solutions; the instructor PDF adds every quiz's answers and known mistakes in an appendix.
.PHONY: pdf student-pdf instructor-pdf
pdf: $(STAMP) tex
	$(BIN)/python -m cnnmath.print_edition build --edition reader
student-pdf: $(STAMP) tex
	$(BIN)/python -m cnnmath.print_edition build --edition student
instructor-pdf: $(STAMP) tex
	$(BIN)/python -m cnnmath.print_edition build --edition instructor

# Accessibility: axe-core in headless Chromium over every page of the student edition, in light
# and dark mode (0 serious or critical violations), and the search page's snippets (no raw TeX).
# Chromium and npm come from Debian (scripts/get-a11y-tools.sh); takes a few minutes.
a11y: student-book
	bash scripts/get-a11y-tools.sh
	$(BIN)/python scripts/a11y_audit.py $(STUDENT)/_build/html

test: $(STAMP) data qemu tex lint
	$(BIN)/python -m pytest tests book --nbval --nbval-current-env --durations=15 \
		-n $(JOBS) --dist loadfile

unit: $(STAMP) qemu tex
	$(BIN)/python -m pytest tests -n $(JOBS) --dist loadfile

notebooks: $(STAMP) data
	$(BIN)/python -m pytest book --nbval --nbval-current-env -n $(JOBS) --dist loadfile

# Style: ruff's lint rules and formatting (pyproject.toml; book/ruff.toml for the notebooks).
lint: $(STAMP)
	$(BIN)/ruff check cnnmath tests book benchmarks
	$(BIN)/ruff format --check cnnmath tests book benchmarks

clean:
	rm -rf _build
