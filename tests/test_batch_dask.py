"""`xisai batch --dask`: the partitions on a LocalCluster of two worker processes
give the bytes of one local worker; workers sharing a process are refused."""
from __future__ import annotations

import json
import os
import signal

import dask
import pytest
from batch_support import batch, case_id_at, complete_lines, standard_input, start_batch, wait_for
from distributed import LocalCluster

from xisai.engine.batch.sidecar import sidecar_path


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask")
    source = root / "cases.jsonl"
    lines = standard_input(source)
    out = root / "local.jsonl"
    done = batch(source, "--decisions-only", "-o", out, "--workers", "1")
    assert done.returncode == 2, done.stderr.decode()
    return {"input": source, "lines": lines, "bytes": out.read_bytes()}


def local_cluster(**kwargs) -> LocalCluster:
    return LocalCluster(dashboard_address=None, silence_logs=50, **kwargs)


def test_a_local_cluster_of_two_processes_gives_the_same_bytes(clean, tmp_path):
    out = tmp_path / "dask.jsonl"
    with local_cluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        done = batch(clean["input"], "--decisions-only", "-o", out, "--dask", cluster.scheduler_address, "--partition-lines", "20",
                     "--summary-json", tmp_path / "s.json")
    assert done.returncode == 2, done.stderr.decode()
    assert out.read_bytes() == clean["bytes"]
    assert not (tmp_path / "dask.jsonl.parts").exists()  # partition files are removed once written
    assert json.loads((tmp_path / "s.json").read_text())["cases"]["read"] == len(clean["lines"])
    assert json.loads(sidecar_path(out).read_text())["partition_lines"] == 20


def test_a_partition_that_kills_its_dask_worker_is_finished_locally_line_by_line(clean, tmp_path, monkeypatch):
    number = 45
    monkeypatch.setenv("XISAI_TEST_CRASH_ON", case_id_at(clean["lines"], number))
    out = tmp_path / "dask.jsonl"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            local_cluster(n_workers=1, threads_per_worker=1, processes=True) as cluster:
        done = batch(clean["input"], "--decisions-only", "-o", out, "--dask", cluster.scheduler_address, "--partition-lines", "30",
                     "--workers", "1", "--chunk-lines", "8")
    assert done.returncode == 3, done.stderr.decode()
    got, want = out.read_bytes().split(b"\n"), clean["bytes"].split(b"\n")
    assert [i + 1 for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b] == [number]
    assert json.loads(got[number - 1])["errors"][0]["code"] == "worker_crash"


@pytest.mark.parametrize("shape", [dict(n_workers=1, threads_per_worker=2, processes=True),
                                   dict(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp")],
                         ids=["two threads in a worker", "two workers in one process"])
def test_workers_that_share_a_process_are_refused(clean, tmp_path, shape):
    with local_cluster(**shape) as cluster:
        done = batch(clean["input"], "--decisions-only", "-o", tmp_path / "x.jsonl", "--dask", cluster.scheduler_address)
    assert done.returncode == 1, done.stderr.decode()
    assert b"threads_per_worker=1" in done.stderr or b"process of its own" in done.stderr


def test_kill_9_of_a_dask_run_then_resume_keeps_finished_partitions_and_the_bytes(clean, tmp_path, monkeypatch):
    held = tmp_path / "held.pid"
    monkeypatch.setenv("XISAI_TEST_HOLD_ON", f"{case_id_at(clean['lines'], 35)}:{held}")
    out = tmp_path / "dask.jsonl"
    parts = tmp_path / "dask.jsonl.parts"
    with local_cluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        run = start_batch(clean["input"], "--decisions-only", "-o", out, "--dask", cluster.scheduler_address, "--partition-lines", "10",
                          "--chunk-lines", "10", "--sync-seconds", "0")
        wait_for(held.exists, what="a Dask worker to reach line 35")
        wait_for(lambda: complete_lines(out) >= 30 and (parts / "000006.jsonl").exists(),
                 what="partitions 0-2 written and later ones finished")
        run.kill()
        run.wait(timeout=30)
        os.kill(int(held.read_text()), signal.SIGKILL)
        kept = sorted(p.name for p in parts.glob("*.jsonl") if not p.name.endswith(".tally.jsonl"))
        assert complete_lines(out) == 30 and "000006.jsonl" in kept
        done = batch(clean["input"], "--decisions-only", "-o", out, "--resume", "--dask", cluster.scheduler_address)
    assert done.returncode == 2, done.stderr.decode()
    assert out.read_bytes() == clean["bytes"]
    assert not parts.exists()
