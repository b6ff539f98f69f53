""".pre-commit-hooks.yaml: the hooks as pre-commit runs them, against a temporary repository of a user's.

The hooks repository is a fresh git repository holding this project's files (the working tree's, committed), so
the hooks are tested as they are now, committed or not. pre-commit installs podeval into an environment of its own
(`language: python`: pip, from PyPI) once for the module: about a minute. Skipped only when pre-commit is not
installed (the `test` extra has it).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "examples" / "golden"


def _pre_commit() -> list[str] | None:
    if shutil.which("pre-commit"):
        return ["pre-commit"]
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    return None


PRE_COMMIT = _pre_commit()
pytestmark = pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install 'podeval[test]')")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "podeval tests",
    "GIT_AUTHOR_EMAIL": "tests@podeval.invalid",
    "GIT_COMMITTER_NAME": "podeval tests",
    "GIT_COMMITTER_EMAIL": "tests@podeval.invalid",
}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    ).stdout


def _commit_all(repo: Path) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "files")
    return _git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> Path:
    """podeval's files as they are in the working tree, committed in a repository of their own."""
    try:
        listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the project is not a git checkout: the hooks are tested from one")
    repo = tmp_path_factory.mktemp("podeval-hooks")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    _git(repo, "init", "-q")
    _commit_all(repo)
    return repo


def _user_repo(root: Path, files: dict[str, str | Path]) -> Path:
    root.mkdir()
    _git(root, "init", "-q")
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, root / name)
        else:
            (root / name).write_text(content)
    _commit_all(root)
    return root


def _pre_commit_run(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [*PRE_COMMIT, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.fixture
def user_repo(tmp_path) -> Path:
    """A user's repository: golden cases under golden/, a rule pack under my-pack/, and other YAML."""
    files: dict[str, str | Path] = {
        f"golden/{name}": GOLDEN / name
        for name in (
            "container-task.yaml",
            "container-task.pod.yaml",
            "missing-pod-template.yaml",
            "missing-pod-template.error.yaml",
        )
    }
    files.update({f"my-pack/{path.name}": path for path in (ROOT / "rules" / "flyte-docs").iterdir()})
    files["deploy/values.yaml"] = "replicas: 2\n"  # neither a case nor a pack: the hooks' files patterns leave it out
    return _user_repo(tmp_path / "user", files)


def test_try_repo_runs_both_hooks_with_their_defaults(user_repo, hooks_repo, tmp_path):
    """`pre-commit try-repo` (a store of its own: podeval is installed for this run) runs every hook of the
    manifest with its defaults: `podeval check` (the shipped pack) when a pack file changed, `podeval test` on the
    changed files under a folder named golden."""
    run = _pre_commit_run(user_repo, tmp_path / "home", "try-repo", str(hooks_repo), "--all-files", "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"podeval check \(rule pack\)\.+Passed", run.stdout), run.stdout
    assert re.search(r"podeval test \(golden Pods\)\.+Passed", run.stdout), run.stdout
    assert "flyte-v1: ok" in run.stdout and "2 cases: 2 passed" in run.stdout, run.stdout
    assert "values.yaml" not in run.stdout.split("Using config:")[1]


def test_the_hooks_as_a_user_configures_them_report_what_is_wrong(user_repo, hooks_repo, tmp_path):
    """The same hooks from a .pre-commit-config.yaml: `args` name the user's pack, `files` their golden folder; a
    problem in the pack and a golden that no longer matches fail the commit, each with podeval's report."""
    rev = _git(hooks_repo, "rev-parse", "HEAD").strip()
    hooks = [{"id": "podeval-check", "args": ["--rules", "my-pack"]}, {"id": "podeval-test", "files": "^golden/"}]
    config = {"repos": [{"repo": str(hooks_repo), "rev": rev, "hooks": hooks}]}
    (user_repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    pack_file = user_repo / "my-pack" / "pack.yaml"
    pack_file.write_text("colour: red\n" + pack_file.read_text())
    golden = user_repo / "golden" / "container-task.pod.yaml"
    pod = yaml.safe_load(golden.read_text())
    pod["metadata"]["labels"]["team"] = "platform"
    golden.write_text(yaml.safe_dump(pod))
    run = _pre_commit_run(user_repo, tmp_path / "home", "run", "--all-files")
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"podeval check \(rule pack\)\.+Failed", run.stdout), run.stdout
    assert "my-pack/pack.yaml:1:" in run.stdout and "unknown key 'colour'" in run.stdout, run.stdout
    assert re.search(r"podeval test \(golden Pods\)\.+Failed", run.stdout), run.stdout
    assert "FAIL    golden/container-task.yaml: 1 field differs from container-task.pod.yaml" in run.stdout
    assert '  metadata.labels.team\n    expected: "platform"\n    actual:   "data"\n' in run.stdout, run.stdout
