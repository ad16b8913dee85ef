"""`sprint-fusion batch`: many bags through replay and report on Dask — a local cluster by default
(--workers N), or an existing one (--scheduler tcp://HOST:PORT) when a lab outgrows one machine:
the same code path. Workers read the bags where they can reach them (a shared path) and write
their outputs under -o; the athlete-store imports (--db) are done here, on the client, one writer
for SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..files import write_text
from .common import progress, shown, sprint_options, sprint_values, with_filters


def cmd_batch(args) -> int:
    from ..bags.batch import discover, index_page

    jobs = discover(args.bags)
    out = Path(args.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings = {"filters": str(Path(args.filters).resolve()), "set": args.set,
                "sprint": sprint_values(args), "force": args.force}
    results = _run(jobs, str(out), settings, args)
    write_text(out / "index.html", index_page(results))
    write_text(out / "results.json", json.dumps([r.__dict__ for r in results], indent=2, default=str))
    failed = [r for r in results if r.status == "failed"]
    for r in results:  # a damaged bag (a killed recording) is reported, done up to the damage
        print(f"{r.name}: {r.status}" + (f" — {r.error}" if r.error else f", {r.trials} trial(s)"))
    if args.db:
        _import(results, args)
    print(f"index: {shown(out / 'index.html')} ({len(results) - len(failed)} of {len(results)} bags done)")
    return 1 if any(r.error for r in results) else 0


def _run(jobs, out: str, settings: dict, args):
    from dask.distributed import Client, LocalCluster, as_completed

    from ..bags.batch import run_job

    if args.scheduler:
        client, cluster = Client(args.scheduler), None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {client.submit(run_job, job, out, settings, key=f"sprint-fusion-{job.name}", pure=False): job
                   for job in jobs}
        results = []
        with progress(len(jobs), "bags") as bar:
            for future in as_completed(futures):
                results.append(_result(future, futures[future]))
                bar.update(1)
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _result(future, job):
    """A job's result; a worker that died or a task Dask could not run is a failed bag too."""
    from ..bags.batch import JobResult

    try:
        return future.result()
    except Exception as err:  # the worker, not the job: run_job itself never raises
        return JobResult(job.name, job.bag, "failed", f"{type(err).__name__}: {err}", athlete=job.athlete,
                         date=job.date)


def _import(results, args) -> None:
    from ..monitoring import ingest
    from ..monitoring.store import Store

    store = Store(args.db)
    for r in results:
        if r.status == "failed" or not r.sprint_json:
            continue
        if not r.athlete:
            print(f"{r.name}: not imported — no athlete (a manifest names them)", file=sys.stderr)
            continue
        print(f"{r.name}: {ingest.import_sprint(store, r.sprint_json, r.athlete)}")


def add_parsers(sub) -> None:
    p = with_filters(sub.add_parser(
        "batch", help="many bags (a folder, a glob, or a CSV manifest bag,athlete,date[,mass,height]) through "
                      "replay and report on Dask; an index page; --db imports the trials"))
    p.add_argument("bags", help="a folder of bags, a glob ('season/*.mcap'), or a manifest CSV")
    p.add_argument("-o", "--output", required=True, help="folder for every bag's outputs and index.html")
    p.add_argument("--workers", type=int, default=2, help="local Dask worker processes (default 2)")
    p.add_argument("--scheduler", help="an existing Dask scheduler, tcp://HOST:PORT (its workers must reach the "
                                       "bags and -o)")
    p.add_argument("--db", help="athlete store (SQLite file or PostgreSQL URL) to import each trial into")
    p.add_argument("--force", action="store_true", help="redo bags whose outputs are up to date")
    sprint_options(p)
    p.set_defaults(func=cmd_batch)
