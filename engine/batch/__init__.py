"""`xisai batch`: many cases, one per JSON line, decided by worker processes.

    line.py       what one output line holds (the one place that decides it)
    reader.py     input lines with their numbers, offsets and a running hash
    worker.py     the loop of a worker process (one Engine each) and its test hooks
    pool.py       local worker processes: crash-safe, results in input order
    partition.py  byte-range partitions of a file, run by any executor
    dask_run.py   the partitions on a Dask cluster (optional extra)
    writer.py     the output file: flushes, fsyncs, the pluggable line transform, recovery
    sidecar.py    the run record beside the output (today, rules, options, checkpoint)
    summary.py    the finance summary, accumulated as lines are written
    runner.py     one run: resume, executor, writer, summary, progress
"""
