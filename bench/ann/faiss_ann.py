"""FAISS's IndexHNSWFlat and IndexIVFFlat on the same vectors as bench/ann
(main.go): build time, and for each efSearch / nprobe the recall@10 against
the exact top 10 (IndexFlatIP), the median and p99 time of one query, and
the peak RSS. One JSON object per line on stdout.

    /usr/bin/python3 bench/ann/faiss_ann.py --x X.f32 --q Q.f32 [--dim 384] [--nq 200]
        [--kind hnsw|ivf] [--m 16] [--efc 100] [--ef 16,32,...] [--nlist N] [--train N] [--nprobe 1,2,...]
"""
import argparse
import json
import resource
import time

import faiss
import numpy as np


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--x", required=True)
    ap.add_argument("--q", required=True)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--nq", type=int, default=200)
    ap.add_argument("--kind", default="hnsw")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--efc", type=int, default=100)
    ap.add_argument("--ef", default="16,32,64,128,256")
    ap.add_argument("--nlist", type=int, default=0)
    ap.add_argument("--train", type=int, default=0, help="IVF: rows the k-means is trained on (default 256 per list)")
    ap.add_argument("--nprobe", default="1,2,4,8,16,32,64")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    faiss.omp_set_num_threads(a.threads)
    # Only the rows used are read, so that the peak memory is theirs.
    x = np.fromfile(a.x, dtype=np.float32, count=a.n * a.dim if a.n else -1).reshape(-1, a.dim)
    x = np.ascontiguousarray(x)
    q = np.ascontiguousarray(np.fromfile(a.q, dtype=np.float32, count=a.nq * a.dim).reshape(-1, a.dim))
    n = len(x)
    flat = faiss.IndexFlatIP(a.dim)
    flat.add(x)
    _, exact = flat.search(q, 10)
    del flat
    base = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    if a.kind == "hnsw":
        idx = faiss.IndexHNSWFlat(a.dim, a.m, faiss.METRIC_INNER_PRODUCT)
        idx.hnsw.efConstruction = a.efc
        idx.add(x)
        params = [("ef", int(v)) for v in a.ef.split(",")]
    else:
        nlist = a.nlist or int(4 * np.sqrt(n))
        quant = faiss.IndexFlatIP(a.dim)
        idx = faiss.IndexIVFFlat(quant, a.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(1)
        train = x[rng.choice(n, size=min(n, a.train or 256 * nlist), replace=False)]
        idx.train(train)
        idx.add(x)
        params = [("nprobe", int(v)) for v in a.nprobe.split(",")]
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    index_mb = rss_mb() - base
    head = {"tool": f"faiss-{a.kind}", "n": n, "dim": a.dim, "build_s": build, "build_cpu_s": build_cpu, "index_rss_mb": index_mb,
            "peak_rss_mb": peak_rss_mb(), "threads": a.threads}
    if a.kind == "hnsw":
        head.update(m=a.m, efc=a.efc)
    else:
        head.update(nlist=idx.nlist)
    print(json.dumps(head), flush=True)
    for name, v in params:
        if name == "ef":
            idx.hnsw.efSearch = v
        else:
            idx.nprobe = v
        times = []
        hits = 0
        c0 = time.process_time()
        for i in range(len(q)):
            t = time.perf_counter()
            _, ids = idx.search(q[i : i + 1], 10)
            times.append((time.perf_counter() - t) * 1000)
            hits += len(set(ids[0]) & set(exact[i]))
        cpu = time.process_time() - c0
        times.sort()
        print(json.dumps({"tool": f"faiss-{a.kind}", name: v, "recall": hits / (10 * len(q)),
                          "median_ms": times[len(times) // 2], "p99_ms": times[len(times) * 99 // 100],
                          "cpu_per_query_ms": 1000 * cpu / len(q)}), flush=True)


if __name__ == "__main__":
    main()
