"""Evaluate many cases in one process: time, throughput and memory.

    python benchmarks/engine_loop.py            # 300,000 cases
    python benchmarks/engine_loop.py -n 20000   # a quicker look

Cases cycle through a pool: the worked cases of cases/ and generated ones
(tests/casegen.py), one in twenty made invalid, each as the JSON text a batch reads.
Prints one JSON object of figures; exits non-zero if any evaluation raised."""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from casegen import generate

from xisai.engine.evaluate import Engine


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pool(size: int) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "cases").glob("*.json"))]
    for seed in range(size):
        case = generate(seed)
        if seed % 20 == 19:
            case["as_of"] = "2019-01-01"  # events after as_of: an invalid case
        texts.append(json.dumps(case, ensure_ascii=False))
    return texts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300_000, help="cases to evaluate")
    parser.add_argument("--pool", type=int, default=2000, help="distinct generated cases")
    parser.add_argument("--lang", default="zh_CN")
    args = parser.parse_args()
    texts = pool(args.pool)
    started = time.perf_counter()
    engine = Engine()
    load_s = time.perf_counter() - started
    statuses: Counter[str] = Counter()
    lines = 0
    out_bytes = 0
    rss_start = None
    t0 = time.perf_counter()
    for i in range(args.n):
        decision = engine.evaluate(texts[i % len(texts)], lang=args.lang)
        statuses[decision.status] += 1
        lines += len(decision.payouts)
        out_bytes += len(decision.to_json(indent=None))
        if i == min(args.n - 1, 10_000):
            rss_start = rss_mb()
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "cases": args.n, "statuses": dict(statuses), "payout_lines": lines,
        "rules_load_s": round(load_s, 3), "seconds": round(elapsed, 1),
        "cases_per_s": round(args.n / elapsed, 1), "decision_json_mb": round(out_bytes / 2**20, 1),
        "rss_after_10k_mb": round(rss_start or 0, 1), "rss_end_mb": round(rss_mb(), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": sys.version.split()[0],
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
