"""tools/equivalence.py (issue 12 item 7): two snapshots of one engine compare identical; a changed Pod, a missing
scenario and a path spelled the new way are reported; ``--spelling ports`` accepts exactly that spelling.

The snapshots here take a handful of scenarios (``--only``); the full run (``against REV``, 1,000 and more
scenarios) is what maintainers run by hand, as benchmarks/README.md says.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "equivalence.py"
ONLY = [
    "examples/flyte-docs/example-3.yaml",
    "tests/equivalence/ports-protocols.yaml",
    "bad_inputs/empty.yaml",
    "conformance/flyte_go/A01.yaml",
    "conformance/flyte_go/B01.yaml",
    "conformance/flytekit/04_*",
    "corpus/*",
]


def _tool():
    spec = importlib.util.spec_from_file_location("equivalence_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


equivalence = _tool()


def _snapshot(out: Path, jobs: int) -> dict:
    command = [sys.executable, str(TOOL), "snapshot", str(out), "--corpus", "3", "--jobs", str(jobs)]
    command += [argument for pattern in ONLY for argument in ("--only", pattern)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "meta.json").read_text())


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    base = tmp_path_factory.mktemp("equivalence")
    metas = (_snapshot(base / "a", jobs=1), _snapshot(base / "b", jobs=2))
    return base / "a", base / "b", metas


def _records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "snapshot.jsonl").read_text().splitlines()]


def _rewrite(folder: Path, change) -> None:
    records = [change(record) or record for record in _records(folder)]
    (folder / "snapshot.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))


def _compare(a: Path, b: Path, **options) -> tuple[int, str]:
    out = io.StringIO()
    return equivalence.compare(a, b, stream=out, **options), out.getvalue()


def test_a_snapshot_holds_every_kind_of_scenario(snapshots):
    a, _, (meta, _) = snapshots
    assert Path(meta["engine"]).resolve() == ROOT / "engine" / "__init__.py"
    records = {record["name"]: record for record in _records(a)}
    assert list(records) == sorted(records)
    assert {
        "examples/flyte-docs/example-3.yaml",
        "tests/equivalence/ports-protocols.yaml",
        "bad_inputs/empty.yaml",
        "conformance/flyte_go/A01.yaml",
        "conformance/flyte_go/B01.yaml",
        "corpus/s00000.yaml",
        "corpus/s00002.yaml",
    } <= set(records)
    example = records["examples/flyte-docs/example-3.yaml"]
    assert example["exit"] == 0 and example["stdout"].startswith("apiVersion: v1\n")
    assert json.loads(example["trace"])["rules"]["name"] == "flyte-v1"
    bad = records["bad_inputs/empty.yaml"]
    assert bad["exit"] == 2 and bad["stdout"] == "" and bad["stderr"].startswith("podeval: error[")
    assert json.loads(records["conformance/flyte_go/A01.yaml"]["api"])["error"]["code"]  # a merge step's error
    scenario_step = records["conformance/flyte_go/B01.yaml"]  # through the API and through the command line
    assert json.loads(scenario_step["api"])["result"]["kind"] == "Pod" and scenario_step["exit"] == 0


def test_two_snapshots_of_one_engine_are_identical(snapshots):
    a, b, _ = snapshots
    code, printed = _compare(a, b)
    assert code == 0, printed
    assert printed.endswith(f"compare: {len(_records(a))} scenarios identical, 0 differ\n")


def test_a_changed_pod_and_a_missing_scenario_are_reported(snapshots, tmp_path):
    a, b, _ = snapshots
    changed = tmp_path / "changed"
    changed.mkdir()
    (changed / "snapshot.jsonl").write_text((b / "snapshot.jsonl").read_text())

    def change(record):
        if record["name"] == "examples/flyte-docs/example-3.yaml":
            record["stdout"] = record["stdout"].replace("kind: Pod", "kind: Pods")
        return record

    _rewrite(changed, change)
    lines = (changed / "snapshot.jsonl").read_text().splitlines(keepends=True)
    (changed / "snapshot.jsonl").write_text("".join(line for line in lines if '"corpus/s00001.yaml"' not in line))
    code, printed = _compare(a, changed)
    assert code == 1
    assert "-kind: Pod\n+kind: Pods\n" in printed
    assert "DIFF examples/flyte-docs/example-3.yaml: stdout" in printed
    assert f"DIFF corpus/s00001.yaml: only in {a}" in printed
    assert printed.endswith("2 differ\n")
    done = subprocess.run(
        [sys.executable, str(TOOL), "compare", str(a), str(changed)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "2 differ" in done.stdout


def test_the_new_ports_spelling_is_accepted_only_with_the_option(snapshots, tmp_path):
    """This tree prints issue 12's spelling (53/UDP, 53/TCP, 53/UDP: every key field); a snapshot of a tree before
    it (made here by spelling the same trace the old way: the first key field and an occurrence) compares equal
    only with --spelling ports."""
    a, b, _ = snapshots
    ports = "tests/equivalence/ports-protocols.yaml"
    assert "ports[containerPort=53,protocol=UDP#2]" in next(r for r in _records(a) if r["name"] == ports)["trace"]
    respelled = tmp_path / "respelled"
    respelled.mkdir()
    (respelled / "snapshot.jsonl").write_text((b / "snapshot.jsonl").read_text())
    old = {"53,protocol=UDP]": "53]", "53,protocol=TCP]": "53#2]", "53,protocol=UDP#2]": "53#3]"}

    def old_spelling(record):
        if record["name"] == ports:
            record["trace"] = re.sub(
                r"ports\[containerPort=(53,protocol=UDP\]|53,protocol=TCP\]|53,protocol=UDP#2\])",
                lambda match: "ports[containerPort=" + old[match.group(1)],
                record["trace"],
            )
        return record

    _rewrite(respelled, old_spelling)
    code, printed = _compare(a, respelled)
    assert code == 1 and '-    "spec.containers[name=primary].ports[containerPort=53,protocol=TCP]' in printed
    code, printed = _compare(a, respelled, spelling=True)
    assert code == 0, printed
    assert "(tolerating --spelling ports)" in printed

    def other_pod(record):  # the Pod is never normalised
        if record["name"] == ports:
            record["stdout"] = record["stdout"].replace("containerPort: 53\n", "containerPort: 54\n", 1)
        return record

    _rewrite(respelled, other_pod)
    code, printed = _compare(a, respelled, spelling=True)
    assert code == 1 and f"DIFF {ports}: stdout" in printed


def test_the_spelling_normalisation_is_narrow():
    def norm(key, text):
        return equivalence.normalise(key, text, spelling=True, pack_digest=False)

    old = "spec.containers[name=dns].ports[containerPort=53#2].protocol"
    assert norm("trace", old) == norm(
        "trace", "spec.containers[name=dns].ports[containerPort=53,protocol=UDP].protocol"
    )
    assert norm("stderr", old) == norm(
        "stderr", 'x.ports[containerPort=53,protocol="U]DP"#2].protocol'.replace("x.", "spec.containers[name=dns].")
    )
    assert norm("trace", "ports[containerPort=53]") != norm("trace", "ports[containerPort=54,protocol=TCP]")
    for untouched in (
        "spec.containers[name=a].ports[0].name",
        "exports[containerPort=53#2]",
        "env[name=FOO#2].value",
        "ports[name=http]",
    ):
        assert norm("trace", untouched) == untouched
    assert norm("stdout", old) == old  # the Pod is never rewritten


def test_the_pack_digest_is_blanked_only_with_the_option():
    head = '{\n  "version": 1,\n  "rules": {\n    "name": "flyte-v1",\n    "digest": "sha256:%s"\n  },\n'
    left, right = head % "aa", head % "bb"
    assert equivalence.normalise("trace", left, spelling=False, pack_digest=False) != right
    assert equivalence.normalise("trace", left, spelling=False, pack_digest=True) == equivalence.normalise(
        "trace", right, spelling=False, pack_digest=True
    )
    assert equivalence.normalise(
        "trace", (head % "aa").replace("flyte-v1", "other"), spelling=False, pack_digest=True
    ) != equivalence.normalise("trace", right, spelling=False, pack_digest=True)


def test_bad_arguments_are_one_line_errors(tmp_path):
    done = subprocess.run(
        [sys.executable, str(TOOL), "compare", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.startswith("equivalence.py: ") and "Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, str(TOOL), "against", "no-such-revision-xyz"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2 and "no-such-revision-xyz" in done.stderr and "Traceback" not in done.stderr


def test_against_imports_the_revision_s_engine_from_its_worktree(tmp_path):
    inside = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=ROOT, capture_output=True, check=False
    )
    if inside.returncode:
        pytest.skip("not a git checkout")
    done = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            "against",
            "HEAD",
            "--corpus",
            "1",
            "--only",
            "corpus/*",
            "--keep",
            str(tmp_path / "kept"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    # identical unless the working tree's engine has uncommitted changes: either way both snapshots were taken
    assert done.returncode in (0, 1), done.stderr[-3000:]
    before = json.loads((tmp_path / "kept" / "before" / "meta.json").read_text())
    after = json.loads((tmp_path / "kept" / "after" / "meta.json").read_text())
    assert Path(before["engine"]).parent.parent.name == "tree" and Path(before["engine"]).parent.parent != ROOT
    assert Path(after["engine"]).resolve() == ROOT / "engine" / "__init__.py"
    assert before["scenarios"] == after["scenarios"] == 1
    assert not Path(before["engine_root"]).exists()  # the worktree is gone


def test_an_engine_whose_script_module_has_no_main_is_refused(tmp_path):
    """The snapshot calls ``main(argv)`` of the ``podeval`` script's module (the script itself may exit the process,
    as engine.cli.console does); a tree whose module has none is refused with exit 2, not run."""
    tree = tmp_path / "tree"
    (tree / "engine").mkdir(parents=True)
    (tree / "engine" / "__init__.py").write_text("")
    (tree / "engine" / "cli.py").write_text("def console():\n    raise SystemExit(0)\n")
    (tree / "pyproject.toml").write_text('[project.scripts]\npodeval = "engine.cli:console"\n')
    done = subprocess.run(
        [sys.executable, str(TOOL), "snapshot", str(tmp_path / "out"), "--engine", str(tree), "--corpus", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "engine.cli, the module of the `podeval` script, has no main(argv)" in done.stderr
    assert "Traceback" not in done.stderr
