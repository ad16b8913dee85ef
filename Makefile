# Two commands on a fresh machine (see README):
#   make demo   installs into .venv and runs the main job on bundled data
#   make test   installs into .venv (with the ROS 2 wheels and test tools) and runs every check
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install colcon-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[ros,athletes,postgres,batch,test]"
	SPRINT_FUSION_KERNELS=numba $(BIN)/python -c "from sprint_fusion.core.fusion import warm_up; warm_up()"  # the live nodes run compiled from their first start

demo: install
	$(BIN)/sprint-fusion demo

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build install log
