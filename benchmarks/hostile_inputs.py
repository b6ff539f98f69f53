#!/usr/bin/env python3
"""Time and peak memory of ``engine.documents.yamlio`` on hostile (and a few large but legitimate) inputs.

Each case runs in a fresh interpreter so that peak RSS belongs to that case alone:

* wall and CPU time of the ``load_document`` call (best of ``--repeat`` runs; CPU time is the
  steadier figure on a shared machine);
* peak RSS growth: growth of the process's peak RSS (ru_maxrss) across the first call -- this sees
  libyaml's C allocations, which tracemalloc does not; peak RSS: the process's whole peak, input
  and interpreter included;
* Python peak: tracemalloc's peak of Python allocations during one more call (run separately,
  tracemalloc slows the code down).

The input is built before measuring; its own size is not counted.

    .venv/bin/python benchmarks/hostile_inputs.py                    # Markdown tables, both parsers
    .venv/bin/python benchmarks/hostile_inputs.py --parser libyaml   # libyaml only (fast)
    .venv/bin/python benchmarks/hostile_inputs.py --case billion_laughs [--pure]   # one case, JSON
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

MiB = 1024 * 1024


def billion_laughs() -> str:
    lines = ['lol: &l0 "lol"']
    for level in range(1, 10):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def alias_fan() -> str:
    # 1,000 aliases (at the limit) of a 300-node anchor: 300,000 nodes once expanded
    anchor = "[" + ", ".join(["x"] * 299) + "]"
    return "a: &a " + anchor + "\nb: [" + ", ".join(["*a"] * 1000) + "]\n"


def many_aliases() -> str:
    return "a: &a x\nb: [" + ", ".join(["*a"] * 5000) + "]\n"


def nested_flow_lists() -> str:
    return "[" * 10_000 + "]" * 10_000


def nested_flow_lists_5mb() -> str:
    return "[" * (5 * MiB - 16)


def nested_block_lists() -> str:
    return "- " * 10_000 + "x\n"


def nested_flow_maps() -> str:
    return "{a: " * 10_000 + "x" + "}" * 10_000


def deep_by_alias() -> str:
    # each anchor is 60 levels deep and contains the previous one: depth grows through aliases
    lines = ["a0: &a0 " + "[" * 60 + "x" + "]" * 60]
    for i in range(1, 5):
        lines.append(f"a{i}: &a{i} " + "[" * 60 + f"*a{i - 1}" + "]" * 60)
    return "\n".join(lines) + "\n"


def realistic_item(i: int) -> str:
    return (
        f"- name: c{i}\n"
        "  image: repo/img:1.2.3\n"
        f'  command: ["python", "-m", "x", "--flag", "{i}"]\n'
        "  resources:\n"
        "    limits: {cpu: '1', memory: 1Gi}\n"
        "    requests: {cpu: 500m, memory: 512Mi}\n"
    )


def realistic(target: int) -> str:
    parts, size, i = ["containers:\n"], 12, 0
    while size < target:
        item = realistic_item(i)
        parts.append(item)
        size += len(item)
        i += 1
    return "".join(parts)


def doc_50mb_bytes() -> bytes:
    return realistic(50 * MiB).encode()


def doc_50mb_str() -> str:
    return realistic(50 * MiB)


def doc_just_under_limit_many_nodes() -> str:
    # 4.9 MiB of small scalars: ~2.5 million nodes, refused at the node limit
    n = (5 * MiB - 100) // 2
    return "[" + "1," * (n - 1) + "1]"


def doc_realistic_accepted() -> str:
    # the largest document of this shape within the node limit (~190,000 nodes)
    return realistic(1_150_000)


def doc_long_scalar_accepted() -> str:
    return "a: " + "x" * (5 * MiB - 100) + "\n"


def random_binary() -> bytes:
    return random.Random(0).randbytes(MiB)


def nul_bytes() -> bytes:
    return b"\0" * MiB


def invalid_utf8() -> bytes:
    return ("name: café\n" * 100_000).encode("latin-1")


def mostly_control_chars() -> bytes:
    return bytes(random.Random(1).choice(range(1, 32)) for _ in range(MiB))


def many_keys() -> str:
    return "".join(f"k{i}: {i}\n" for i in range(90_000))


CASES = {
    "billion_laughs": billion_laughs,
    "alias_fan_300k_nodes": alias_fan,
    "alias_5000_uses": many_aliases,
    "deep_through_aliases": deep_by_alias,
    "nested_flow_lists_10k": nested_flow_lists,
    "nested_flow_lists_5MiB": nested_flow_lists_5mb,
    "nested_block_lists_10k": nested_block_lists,
    "nested_flow_maps_10k": nested_flow_maps,
    "document_50MiB_bytes": doc_50mb_bytes,
    "document_50MiB_str": doc_50mb_str,
    "scalars_4.9MiB_2.5M_nodes": doc_just_under_limit_many_nodes,
    "random_binary_1MiB": random_binary,
    "nul_bytes_1MiB": nul_bytes,
    "latin1_not_utf8_1MiB": invalid_utf8,
    "control_chars_1MiB": mostly_control_chars,
    "ok_realistic_190k_nodes": doc_realistic_accepted,
    "ok_realistic_190k_nodes_then_locate": doc_realistic_accepted,  # + the first locate() (re-parse)
    "ok_90k_keys_one_mapping": many_keys,
    "ok_long_scalar_5MiB": doc_long_scalar_accepted,
}


def run_case(name: str, repeat: int, pure: bool) -> dict:
    import resource
    import tracemalloc

    import yaml

    from engine.documents import yamlio
    from engine.documents.yamlio import load_document
    from engine.errors import InputError

    if pure:
        yamlio._LOADER = yaml.SafeLoader

    data = CASES[name]()

    def once():
        try:
            doc = load_document(data, f"{name}.yaml")
            if name.endswith("_then_locate"):
                line, column = doc.locate(("containers", 5000, "resources", "limits"))
                return "accepted, located", f"{line}:{column}"
            return "accepted", None
        except InputError as exc:
            return exc.code, f"{exc.line}:{exc.column}"

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, cpu_times = [], []
    for attempt in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = once()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        if attempt == 0:
            outcome, where = result
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    once()
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "case": name,
        "input_bytes": len(data) if isinstance(data, bytes) else len(data.encode("utf-8")),
        "outcome": outcome,
        "where": where,
        "seconds": min(times),
        "cpu_seconds": min(cpu_times),
        "rss_growth_mib": (rss_after - rss_before) / 1024,  # ru_maxrss is KiB on Linux
        "rss_peak_mib": rss_after / 1024,
        "py_peak_mib": py_peak / MiB,
    }


def machine() -> str:
    import yaml

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) // 1024} MiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"- Python {platform.python_version()} ({platform.python_implementation()}), "
        f"PyYAML {yaml.__version__}, libyaml {'yes' if yaml.__with_libyaml__ else 'no'}\n"
        f"- {platform.system()} {platform.release()} {platform.machine()}, CPU: {cpu}, "
        f"{os.cpu_count()} CPUs, RAM {mem}\n"
        f"- load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def table(pure: bool, repeat: int) -> list[str]:
    parser = "pure-Python pyyaml (SafeLoader)" if pure else "libyaml (CSafeLoader)"
    rows = [
        f"### Parser: {parser}",
        "",
        (
            f"| case | input | outcome | at line:col | wall time (best of {repeat}) | CPU time (best of {repeat}) "
            "| peak RSS growth | peak RSS | Python peak (tracemalloc) |"
        ),
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for name in CASES:
        proc = subprocess.run(
            [sys.executable, __file__, "--case", name, "--repeat", str(repeat)] + (["--pure"] if pure else []),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            rows.append(f"| {name} | | CRASHED rc={proc.returncode} | | | | | | |")
            sys.stderr.write(proc.stderr)
            continue
        r = json.loads(proc.stdout)
        where = r["where"] if r["where"] and r["where"] != "None:None" else "-"
        rows.append(
            f"| {r['case']} | {r['input_bytes'] / MiB:.2f} MiB | {r['outcome']} | {where} "
            f"| {r['seconds'] * 1000:.1f} ms | {r['cpu_seconds'] * 1000:.1f} ms | {r['rss_growth_mib']:.1f} MiB | {r['rss_peak_mib']:.0f} MiB "
            f"| {r['py_peak_mib']:.2f} MiB |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=sorted(CASES), help="run one case in this process, print JSON")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--parser", choices=("libyaml", "pure", "both"), default="both")
    ap.add_argument("--pure", action="store_true", help="with --case: use pure-Python pyyaml, not libyaml")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.repeat, args.pure)))
        return
    print("## Machine")
    print()
    print(machine())
    for pure in {"libyaml": [False], "pure": [True], "both": [False, True]}[args.parser]:
        print()
        print("\n".join(table(pure, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
