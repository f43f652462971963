"""How idle OpenMP threads wait between parallel loops, and what it costs a fit, quiet and busy.

numba runs ``prange`` loops on OpenMP threads. Between two parallel loops an
idle thread either spins (``ACTIVE``: it answers within a microsecond or two,
but burns its core), sleeps (``PASSIVE``: waking it costs tens of
microseconds), or, GNU OpenMP's default when neither is set (``default``, what
nmf_teach uses), spins for a moment and then sleeps. A fit has thousands of
parallel loops (``tuned_nmf``: one per factor and epoch), so this choice
matters. Each setting runs in a fresh process (the policy is read when OpenMP
starts), on a quiet machine and while one busy-looping process keeps a core
occupied, as another program would.

Prints and writes ``nmf_teach/data/benchmark_results/openmp_wait.csv`` (policy, load,
microseconds per empty parallel loop, seconds per ``NMF()`` and ``tuned_nmf``
fit on MovieLens small, best of 3).

    python benchmarks/openmp_wait.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from _provenance import write_csv

RESULTS = Path(__file__).resolve().parent.parent / "nmf_teach" / "data" / "benchmark_results"

MEASURE = """
import json, time
import numpy as np
from numba import njit, prange
from nmf_teach import NMF, tuned_nmf
from nmf_teach.datasets import load_movielens_small

@njit(parallel=True)
def empty_loop(a):
    for i in prange(4):
        a[i] += 1.0

a = np.zeros(4)
empty_loop(a)
start = time.perf_counter()
for _ in range(2000):
    empty_loop(a)
per_loop = (time.perf_counter() - start) / 2000

ratings = load_movielens_small()[["user", "item", "rating"]]
NMF(n_epochs=1).fit(ratings)
tuned_nmf().set_params(n_epochs=1).fit(ratings)
best = {}
for _ in range(3):
    for name, model in [("nmf", NMF(random_state=0)), ("tuned", tuned_nmf(random_state=0))]:
        start = time.perf_counter()
        model.fit(ratings)
        best[name] = min(best.get(name, 1e9), time.perf_counter() - start)
print(json.dumps({"us_per_parallel_loop": per_loop * 1e6, "nmf_seconds": best["nmf"],
                  "tuned_seconds": best["tuned"]}))
"""


def measure(policy: str) -> dict:
    env = {name: value for name, value in os.environ.items() if name != "OMP_WAIT_POLICY"}
    if policy != "default":
        env["OMP_WAIT_POLICY"] = policy
    out = subprocess.run([sys.executable, "-c", MEASURE], env=env, capture_output=True, text=True)
    out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = []
    for load in ("quiet", "one core busy"):
        busy = None
        if load == "one core busy":
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            for policy in ("default", "PASSIVE", "ACTIVE"):
                result = measure(policy)
                rows.append({"policy": policy, "load": load, **result})
                print(rows[-1], flush=True)
        finally:
            if busy is not None:
                busy.kill()
    table = pd.DataFrame(rows)
    write_csv(table, RESULTS / "openmp_wait.csv")
    print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
