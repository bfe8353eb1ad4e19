# Shortcuts for the README's commands. `make venv` once, then any target.
PY := venv/bin/python
CONSUMERS ?= consumer
STACK_ARGS := $(foreach c,$(CONSUMERS),--consumer-stack $(c))

.PHONY: venv test lint plan preview up verify destroy mutate
venv:
	python3 -m venv venv && venv/bin/pip install -r requirements-dev.txt
test:
	$(PY) -m pytest -q
lint:
	venv/bin/ruff check . && venv/bin/ruff format --check . && venv/bin/mypy
plan:
	$(PY) -m xacct_ops $(STACK_ARGS) plan
preview:
	$(PY) -m xacct_ops $(STACK_ARGS) preview
up:
	$(PY) -m xacct_ops $(STACK_ARGS) up
verify:
	$(PY) -m xacct_ops $(STACK_ARGS) verify
destroy:
	$(PY) -m xacct_ops $(STACK_ARGS) destroy
mutate:
	$(PY) -m mutation.run
