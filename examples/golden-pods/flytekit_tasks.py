"""A flytekit task, as it is in the project's code: the test renders the Pod flytekit and Flyte make of it."""

from flytekit import Resources, task


@task(container_image="ghcr.io/acme/report:2.0", requests=Resources(cpu="2", mem="4Gi"), retries=2)
def build_report(day: str) -> str:
    return day
