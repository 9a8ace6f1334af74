# Entry points. Each target is a line or two calling a script that also runs on its own.
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.cs231n-installed

.PHONY: help setup data lab test bench student submit check-student grade gradescope mutants

help:
	@echo "make lab      set up (venv, packages, data) and open JupyterLab in assignment3/"
	@echo "make test     set up, then run the tests; the report at the end lists each function, its status and points"
	@echo "make bench    benchmarks (ratios against a reference measured in the same run)"
	@echo "make submit   students: zip the files you changed for submission"
	@[ ! -f tools/grade.py ] || { \
	    echo "make student  instructors: write the student edition to build/student/"; \
	    echo "make grade SUBMISSION=path.zip   instructors: grade a submission into build/grades/"; \
	    echo "make gradescope                  instructors: write the Gradescope autograder zip to build/"; \
	    echo "make mutants                     instructors: run the catalogue of student mistakes against the tests"; }

$(STAMP): requirements.txt pyproject.toml
	bash tools/setup_venv.sh $(VENV)

setup: $(STAMP) data

data: $(STAMP)
	bash setup_coco.sh
	bash tools/setup_gan_data.sh
	$(PY) -m cs231n.net_visualization_pytorch

lab: setup
	cd assignment3 && ../$(VENV)/bin/jupyter lab

test: setup
	bash tools/run_tests.sh

bench: $(STAMP)
	bash tools/run_bench.sh

student: $(STAMP)
	@[ -f tools/build_student.py ] || { echo "make student: for instructors; this is the student edition"; exit 1; }
	$(PY) tools/build_student.py --zip

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
