"""Real flytekit tasks for the differential test (tests/test_flytekit_differential.py); imported only when flytekit is."""
