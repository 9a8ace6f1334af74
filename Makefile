# Entry points. Each target is a line or two calling a script that also runs on its own.
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.cs231n-installed

.PHONY: help setup data lab test bench student submit check-student grade gradescope mutants

help:
	@echo "make lab      set up (venv, packages, real data) and open JupyterLab in assignment3/"
	@echo "make test     set up the venv, then run the tests on the embedded data (no download);"
	@echo "              the report at the end lists each function, its status and points"
	@echo "make setup    create .venv, install requirements.txt and the cs231n package, build the embedded COCO sample"
	@echo "make data     fetch the real data of every notebook (embedded stand-ins where offline)"
	@echo "make submit   students: zip the files you changed, and write the PDF of your notebooks"
	@echo "make help     this list"
	@[ ! -f tools/grade.py ] || { \
	    echo "make bench                       instructors: benchmarks (ratios against a reference measured in the same run)"; \
	    echo "make student [EDITION=2025]      instructors: write the student edition to build/student/ (an edition: build/student-EDITION/; python tools/editions.py lists them)"; \
	    echo "make check-student               instructors: build the student edition and check that its tests catch every blank"; \
	    echo "make grade SUBMISSION=path.zip   instructors: grade a submission into build/grades/ (sandboxed by bubblewrap)"; \
	    echo "make gradescope                  instructors: write the Gradescope autograder zip to build/"; \
	    echo "make mutants                     instructors: run the catalogue of student mistakes against the tests"; }

$(STAMP): requirements.txt pyproject.toml
	bash tools/setup_venv.sh $(VENV)

setup: $(STAMP)

# The real data for the notebooks; each script falls back to its embedded stand-in offline.
data: $(STAMP)
	bash setup_coco.sh
	bash tools/setup_gan_data.sh
	$(PY) -m cs231n.data.net_visualization
	$(PY) -m cs231n.data.style_transfer

lab: setup data
	cd assignment3 && ../$(VENV)/bin/jupyter lab

# The tests use only the embedded data, which tools/run_tests.sh prepares offline.
test: setup
	bash tools/run_tests.sh

bench: $(STAMP)
	@[ -d bench ] || { echo "make bench: for instructors; this is the student edition"; exit 1; }
	bash tools/run_bench.sh

student: $(STAMP)
	@[ -f tools/build_student.py ] || { echo "make student: for instructors; this is the student edition"; exit 1; }
	$(PY) tools/build_student.py --zip --edition $(or $(EDITION),all)

check-student: $(STAMP)
	@[ -f tools/check_student_edition.py ] || { echo "make check-student: for instructors; this is the student edition"; exit 1; }
	$(PY) tools/check_student_edition.py

submit: $(STAMP)
	$(PY) tools/collect_submission.py

grade: $(STAMP)
	@[ -f tools/grade.py ] || { echo "make grade: for instructors; this is the student edition"; exit 1; }
	@[ -n "$(SUBMISSION)" ] || { echo "make grade: name the zip, e.g. make grade SUBMISSION=cs231n_assignment3_submission.zip"; exit 1; }
	$(PY) tools/grade.py $(SUBMISSION) --out build/grades

gradescope: $(STAMP)
	@[ -f tools/grade.py ] || { echo "make gradescope: for instructors; this is the student edition"; exit 1; }
	$(PY) tools/grade.py --bundle build/gradescope_autograder.zip

mutants: $(STAMP)
	@[ -f tools/mutants.py ] || { echo "make mutants: for instructors; this is the student edition"; exit 1; }
	$(PY) tools/mutants.py

# Outside CI (minutes, and a large torch download where no local wheel is found): tests/test_colab.py
# in a fresh venv holding only what a Colab image brings, with the oldest torch and torchvision
# pyproject.toml supports, then the unit tests on that torch.
.PHONY: test-colab
test-colab: $(STAMP)
	bash tools/test_colab_fresh.sh
