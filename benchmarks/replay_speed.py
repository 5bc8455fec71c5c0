"""Replay beside batch on the same file: cases/s of writing records and of replaying them.

    python benchmarks/replay_speed.py              # 5,000 cases
    python benchmarks/replay_speed.py -n 20000 --workers 1 2

Cases come from tests/casegen.py (one in twenty made invalid, as in engine_loop.py).
Timed, each on the same input: `xisai batch` writing records (when batch is installed),
the in-process record writer (engine/record_writer.py), and `replay` with each worker
count. Prints one JSON object of figures: cases/s of wall time, and cases per CPU second
(this process and its workers), which other people's load on a shared machine
does not distort."""
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
sys.path.insert(0, str(ROOT / "tests"))

from casegen import generate

from xisai.engine.evaluate import Engine
from xisai.engine.record_writer import record_cases
from xisai.engine.replay import Options, replay


def cpu() -> float:
    """CPU seconds of this process and its reaped children: on a shared machine, the
    figure that other people's load does not distort."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Timer:
    def __init__(self, figures: dict, name: str, n: int):
        self.figures, self.name, self.n = figures, name, n

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        wall, used = time.perf_counter() - self.wall, cpu() - self.cpu
        self.figures[self.name] = {"cases_per_s": round(self.n / wall, 1), "cases_per_cpu_s": round(self.n / used, 1)}


def write_input(path: Path, n: int, pool: int) -> None:
    texts = []
    for seed in range(pool):
        case = generate(seed)
        if seed % 20 == 19:
            case["as_of"] = "2019-01-01"
        texts.append(json.dumps(case, ensure_ascii=False))
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(texts[i % len(texts)] + "\n")


def batch_available() -> bool:
    try:
        import xisai.engine.batch  # noqa: F401
    except ImportError:
        return False
    return True


def time_batch(src: Path, out: Path, workers: int) -> None:
    xisai = Path(sys.executable).with_name("xisai")
    done = subprocess.run([str(xisai), "batch", str(src), "-o", str(out), "--workers", str(workers)],
                          capture_output=True, text=True)
    if done.returncode not in (0, 2):  # 2: some invalid cases, which the input has on purpose
        raise SystemExit(done.stderr)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    figures: dict[str, object] = {"cases": args.n, "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "cases.jsonl"
        write_input(src, args.n, args.pool)
        raws = src.read_bytes().splitlines()

        records = Path(tmp) / "records.jsonl"
        with Timer(figures, "record_writer_in_process", args.n):
            record_cases(Engine(), raws, records, bundle_dir=Path(tmp))
        figures["records_mb"] = round(records.stat().st_size / 2**20, 1)

        if batch_available():
            for w in args.workers:
                with Timer(figures, f"batch_workers_{w}", args.n):
                    time_batch(src, Path(tmp) / f"batch-{w}.jsonl", w)

        for w in args.workers:
            with Timer(figures, f"replay_workers_{w}", args.n):
                report = replay(records, Options(workers=w))
            assert report.exit_code == 0, report.to_dict()["counts"]
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
