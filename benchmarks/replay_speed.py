"""Replay beside batch on the same file: cases/s of `xisai batch` (plain and with
--records) and of `xisai replay` on the records that batch wrote.

    python benchmarks/replay_speed.py                    # 10,000 cases, 1 and 2 workers
    python benchmarks/replay_speed.py -n 20000 --workers 2

Cases: benchmarks/gen_cases.py (intake-like, 2 % broken lines). Each command runs as a
caseworker or an auditor runs it, in a process of its own, start-up included. Prints
one JSON object: per command and worker count, cases/s of wall time and cases per
CPU second (the command and its workers), which other people's load on a shared
machine distorts less."""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_cases import lines as generated_lines


def xisai() -> str:
    return str(Path(sys.executable).with_name("xisai"))


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str], n: int, ok: tuple[int, ...]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(command, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - wall, children_cpu() - cpu
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return {"wall_s": round(wall, 2), "cases_per_s": round(n / wall, 1), "cases_per_cpu_s": round(n / cpu, 1)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    figures: dict[str, object] = {"cases": args.n, "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "cases.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for line in generated_lines(args.n, seed=0):
                fh.write(line + "\n")
        for w in args.workers:
            plain, records = Path(tmp) / f"plain-{w}.jsonl", Path(tmp) / f"records-{w}.jsonl"
            batch = [xisai(), "batch", str(src), "--workers", str(w), "--quiet"]
            figures[f"batch_workers_{w}"] = timed([*batch, "-o", str(plain), "--decisions-only"], args.n, (0, 2))
            figures[f"batch_records_workers_{w}"] = timed([*batch, "-o", str(records), "--records"], args.n, (0, 2))
            figures[f"replay_workers_{w}"] = timed([xisai(), "replay", str(records), "--workers", str(w), "--json"],
                                                   args.n, (0,))
            figures["output_mib"] = {"plain": round(plain.stat().st_size / 2**20, 1),
                                     "records": round(records.stat().st_size / 2**20, 1)}
            plain.unlink()
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
