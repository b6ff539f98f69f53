"""Real flytekit tasks for the differential tests (tests/test_flytekit_differential.py: tasks.py;
tests/test_task_template_flytekit.py: tasks.py and registered.py); imported only when flytekit is."""
