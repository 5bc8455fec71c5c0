"""`xisai batch` end to end: cases/s and peak memory, against the durable-rules floor.

    python benchmarks/batch_bench.py                              # 10k, 100k and 1M cases; 1 and 2 workers
    python benchmarks/batch_bench.py --sizes 10000 --workers 1,2  # a quick look

For each size the cases come from benchmarks/gen_cases.py (seed 0, 2 % broken lines),
written once to --data-dir. Each run is the installed `xisai batch IN -o OUT
--workers W` in a process of its own; the batch process and all its descendants are
sampled every 0.1 s and the peak of the sum of their RSS is reported (the batch
process alone, too). The output is deleted after each run unless --keep.

The floor is what durable-rules alone costs on the same cases, in this process, one
core: for each valid case (validated beforehand, outside the timing), the facts are
built and asserted, the matches read, the derived talent-enterprise facts asserted
and the matches read again, exactly as engine/evaluate.py does, with no formula, no
reason and no decision. floor cases/s = 1 / (seconds per case) per core, times the
worker count; the ratio is end-to-end over floor.

Prints one JSON object per run and, at the end, a Markdown table for RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_cases import lines as case_lines

from xisai.engine.case_model import Case
from xisai.engine.conditions import FactIndex
from xisai.engine.derivations import talent_enterprises
from xisai.engine.evaluate import Engine
from xisai.engine.json_input import parse_case


def write_input(path: Path, n: int) -> None:
    if path.exists():
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for line in case_lines(n, seed=0, broken_share=0.02):
            fh.write(line + "\n")
    tmp.replace(path)


# --- memory of a process tree --------------------------------------------------------
def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        out.setdefault(int(stat[1]), []).append(int(entry))
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> tuple[int, int]:
    """(sum of RSS over the process and its descendants, RSS of the process)."""
    children = _children()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kb(pid)
        stack.extend(children.get(pid, []))
    return total, _rss_kb(root)


class PeakSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_tree = self.peak_main = 0
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self._halt.is_set():
            tree, main = tree_rss_kb(self.pid)
            self.peak_tree, self.peak_main = max(self.peak_tree, tree), max(self.peak_main, main)
            self.samples.append((time.monotonic() - start, tree))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


# --- one end-to-end run ----------------------------------------------------------------
def xisai() -> str:
    script = Path(sys.executable).with_name("xisai")
    return str(script) if script.exists() else shutil.which("xisai") or "xisai"


def run_batch(source: Path, out_dir: Path, workers: int, keep: bool) -> dict[str, Any]:
    out = out_dir / f"{source.stem}.w{workers}.decisions.jsonl"
    for stale in (out, out.with_name(out.name + ".run.json")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen([xisai(), "batch", str(source), "-o", str(out), "--workers", str(workers),
                             "--progress-json", "--summary-json", str(out) + ".summary.json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = PeakSampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    if proc.returncode not in (0, 2):
        raise SystemExit(f"xisai batch exited {proc.returncode}: {err.decode()[-2000:]}")
    final = json.loads(err.decode().strip().splitlines()[-1])
    summary = json.loads(Path(str(out) + ".summary.json").read_text(encoding="utf-8"))
    output_mb = out.stat().st_size / 2**20
    # memory as the run goes on (after the start-up): peak over the second fifth and over the last fifth
    fifth = max(1, len(sampler.samples) // 5)
    early = max(s for _, s in sampler.samples[fifth:2 * fifth] or sampler.samples) / 1024
    late = max(s for _, s in sampler.samples[-fifth:]) / 1024
    if not keep:
        for path in (out, out.with_name(out.name + ".run.json"), Path(str(out) + ".summary.json"),
                     out.with_name(out.name + ".seal.json")):
            path.unlink(missing_ok=True)
    return {"cases": final["lines"], "workers": workers, "wall_s": round(wall, 2),
            "cases_per_s": round(final["lines"] / wall, 1), "batch_cases_per_s": final["cases_per_s"],
            "ok": summary["cases"]["ok"], "invalid": summary["cases"]["invalid"], "error": summary["cases"]["error"],
            "output_mib": round(output_mb, 1), "peak_rss_tree_mib": round(sampler.peak_tree / 1024, 1),
            "peak_rss_batch_process_mib": round(sampler.peak_main / 1024, 1),
            "rss_tree_second_fifth_mib": round(early, 1), "rss_tree_last_fifth_mib": round(late, 1)}


# --- the durable-rules floor ---------------------------------------------------------
def floor(source: Path, sample: int) -> dict[str, Any]:
    """Matching alone, one core: the part of engine.evaluate that touches durable-rules."""
    engine = Engine()
    today = date.today()
    models = []
    with open(source, "rb") as fh:
        for raw in fh:
            if len(models) >= sample:
                break
            try:
                model = Case.model_validate(parse_case(raw))
            except Exception:
                continue  # a broken line: never reaches the matcher
            if model.as_of is None:
                model.as_of = today
            models.append(model)
    definition_rule = engine.compiled.by_program[engine.book.definitions["talent_enterprise"].id].name
    matcher = engine.compiled.matcher
    matches = 0
    started = time.perf_counter()
    for model in models:
        facts = engine._facts.build(model)
        index = FactIndex(facts)
        with matcher.session() as session:
            session.assert_facts(facts)
            derived = talent_enterprises(session.matches().get(definition_rule, []), index, len(facts) + 1)
            index.add(derived)
            session.assert_facts(derived)
            matches += sum(len(m) for m in session.matches().values())
    seconds = time.perf_counter() - started
    return {"floor_cases": len(models), "floor_us_per_case": round(seconds / len(models) * 1e6, 1),
            "floor_cases_per_s_per_core": round(len(models) / seconds, 1), "floor_matches": matches}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/xisai-bench"))
    parser.add_argument("--floor-sample", type=int, default=20_000, help="valid cases the floor is measured on")
    parser.add_argument("--keep", action="store_true", help="keep the decision files")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        source = args.data_dir / f"cases-{size}.jsonl"
        write_input(source, size)
        base = floor(source, args.floor_sample)
        print(json.dumps({"size": size, **base}), flush=True)
        for workers in (int(w) for w in args.workers.split(",")):
            result = run_batch(source, args.data_dir, workers, args.keep)
            floor_rate = base["floor_cases_per_s_per_core"] * workers
            result.update(floor_cases_per_s=round(floor_rate, 1), ratio_to_floor=round(result["cases_per_s"] / floor_rate, 3))
            print(json.dumps(result), flush=True)
            rows.append(result)
    print("\n| cases | workers | wall s | cases/s | floor cases/s | ratio | peak RSS, all processes (MiB) | peak RSS, batch process (MiB) | output (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['cases']:,} | {r['workers']} | {r['wall_s']:,} | {r['cases_per_s']:,} | {r['floor_cases_per_s']:,} | "
              f"{r['ratio_to_floor']} | {r['peak_rss_tree_mib']} | {r['peak_rss_batch_process_mib']} | {r['output_mib']:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
