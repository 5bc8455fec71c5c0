"""Replay beside batch on the same file: cases/s of writing records and of replaying them.

    python benchmarks/replay_speed.py              # 5,000 cases
    python benchmarks/replay_speed.py -n 20000 --workers 1 2

Cases come from tests/casegen.py (one in twenty made invalid, as in engine_loop.py).
Timed, each on the same input: `xisai batch` writing records (when batch is installed),
the in-process record writer (engine/record_writer.py), and `replay` with each worker
count. Prints one JSON object of figures."""
from __future__ import annotations

import argparse
import json
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


def time_batch(src: Path, out: Path, workers: int) -> float | None:
    xisai = Path(sys.executable).with_name("xisai")
    started = time.perf_counter()
    done = subprocess.run([str(xisai), "batch", str(src), "-o", str(out), "--workers", str(workers)],
                          capture_output=True, text=True)
    if done.returncode not in (0, 2):  # 2: some invalid cases, which the input has on purpose
        print(done.stderr, file=sys.stderr)
        return None
    return time.perf_counter() - started


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

        started = time.perf_counter()
        records = Path(tmp) / "records.jsonl"
        record_cases(Engine(), raws, records, bundle_dir=Path(tmp))
        elapsed = time.perf_counter() - started
        figures["record_writer_in_process_cases_per_s"] = round(args.n / elapsed, 1)
        figures["records_mb"] = round(records.stat().st_size / 2**20, 1)

        if batch_available():
            for w in args.workers:
                elapsed_batch = time_batch(src, Path(tmp) / f"batch-{w}.jsonl", w)
                if elapsed_batch is not None:
                    figures[f"batch_workers_{w}_cases_per_s"] = round(args.n / elapsed_batch, 1)

        for w in args.workers:
            started = time.perf_counter()
            report = replay(records, Options(workers=w))
            elapsed = time.perf_counter() - started
            assert report.exit_code == 0, report.to_dict()["counts"]
            figures[f"replay_workers_{w}_cases_per_s"] = round(args.n / elapsed, 1)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
