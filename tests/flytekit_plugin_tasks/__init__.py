"""Real flytekit plugin tasks for tests/test_flytekit_plugins_differential.py (the `podeval[flytekit-plugins]` extra).

Kept apart from tests/flytekit_tasks/, which `pyflyte package` packages whole in the registered-task tests: these
modules import the flytekitplugins-* packages (and elastic.py torch), which those tests do not need."""
