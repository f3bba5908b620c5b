"""The peers' half of bench/compare: a worker that loads float32 matrices
once and times one repetition of a scikit-learn or FAISS task per request,
so that driver.py can interleave its repetitions with papermap's
(bench/side/main.go) on the same data. Same protocol as main.go: one JSON
object per line on stdin, one answer per line on stdout.

    {"op":"hello"}                                       versions, BLAS (threadpoolctl)
    {"op":"load","name":"x","path":"blobs.f32","rows":100000,"cols":384}
    {"op":"sk_lloyd","x":"x","init":"c0","iters":20}     KMeans(algorithm="lloyd", init=C0, n_init=1, tol=0)
    {"op":"faiss_lloyd","x":"x","init":"c0","iters":20}  faiss.Kmeans(init_centroids=C0), every row, + labels
    {"op":"sk_minibatch","x":"x","k":50,"seed":1}        MiniBatchKMeans(batch_size=4096, n_init=3)
    {"op":"faiss_kmeans","x":"x","k":50,"seed":1}        faiss.Kmeans defaults (256 rows per centroid) + labels
    {"op":"sk_pca","x":"x","k":2,"solver":"auto"}        PCA(svd_solver=...).fit_transform
    {"op":"faiss_index","x":"x"}                         IndexFlatIP over x's rows
    {"op":"faiss_query","q":"q","n":1000,"keep":100}     n single top-10 searches
    {"op":"faiss_batch","q":"q","keep":100}              one search of every row of q
    {"op":"quit"}

Run with /usr/bin/python3 (Debian's, with python3-sklearn and python3-faiss).
Threads: THREADS (default 2) for BLAS (threadpoolctl) and OpenMP (FAISS).
"""
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

THREADS = int(os.environ.get("THREADS", "2"))


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Peer:
    def __init__(self):
        from threadpoolctl import threadpool_limits
        self.limits = threadpool_limits(limits=THREADS)
        self.mats = {}
        self.index = None

    def timed(self, fn):
        c, t = time.process_time(), time.perf_counter()
        out = fn()
        return time.perf_counter() - t, time.process_time() - c, out

    def hello(self, r):
        import sklearn
        from threadpoolctl import threadpool_info
        out = {"numpy": np.__version__, "sklearn": sklearn.__version__,
               "blas": [{k: i.get(k) for k in ("internal_api", "architecture", "num_threads", "threading_layer", "version", "filepath")}
                        for i in threadpool_info()],
               "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", ""),
               "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "")}
        try:
            import faiss
            faiss.omp_set_num_threads(THREADS)
            out["faiss"] = faiss.__version__
            out["faiss_omp_threads"] = faiss.omp_get_max_threads()
            # Which SIMD build FAISS loaded (the generic one unless a
            # libfaiss_avx2 variant exists).
            out["faiss_module"] = os.path.basename(faiss.swigfaiss.__file__)
        except ImportError as e:
            out["faiss"] = f"missing: {e}"
        return out

    def load(self, r):
        self.mats[r["name"]] = np.fromfile(r["path"], dtype=np.float32, count=r["rows"] * r["cols"]).reshape(r["rows"], r["cols"])
        return {"loaded": r["name"]}

    def sk_lloyd(self, r):
        from sklearn.cluster import KMeans
        x, c0 = self.mats[r["x"]], self.mats[r["init"]]
        km = KMeans(n_clusters=c0.shape[0], init=c0, n_init=1, max_iter=r["iters"], tol=0, algorithm="lloyd")
        s, cpu, m = self.timed(lambda: km.fit(x))
        return {"seconds": s, "cpu_s": cpu, "inertia": float(m.inertia_), "iters": int(m.n_iter_)}

    def _faiss_fit(self, x, k, niter, seed, init=None, all_rows=True):
        import faiss
        kw = dict(niter=niter, seed=seed)
        if all_rows:
            kw.update(max_points_per_centroid=x.shape[0], min_points_per_centroid=1)
        km = faiss.Kmeans(x.shape[1], k, **kw)
        km.train(x, init_centroids=init)
        # Labels of every row, as KMeans.fit gives (and papermap's Fit).
        d, lab = km.index.search(x, 1)
        return km, d, lab

    def faiss_lloyd(self, r):
        x, c0 = self.mats[r["x"]], self.mats[r["init"]]
        s, cpu, (km, d, _) = self.timed(lambda: self._faiss_fit(x, c0.shape[0], r["iters"], 1, init=c0))
        return {"seconds": s, "cpu_s": cpu, "inertia": float(d.astype(np.float64).sum()), "iters": r["iters"]}

    def sk_minibatch(self, r):
        from sklearn.cluster import MiniBatchKMeans
        x = self.mats[r["x"]]
        mb = MiniBatchKMeans(n_clusters=r["k"], batch_size=4096, n_init=3, random_state=r["seed"])
        s, cpu, m = self.timed(lambda: mb.fit(x))
        return {"seconds": s, "cpu_s": cpu, "inertia": float(m.inertia_), "iters": int(m.n_steps_)}

    def faiss_kmeans(self, r):
        x = self.mats[r["x"]]
        s, cpu, (km, d, _) = self.timed(lambda: self._faiss_fit(x, r["k"], 20, r["seed"], all_rows=False))
        return {"seconds": s, "cpu_s": cpu, "inertia": float(d.astype(np.float64).sum()), "iters": 20}

    def sk_pca(self, r):
        from sklearn.decomposition import PCA
        x = self.mats[r["x"]]
        p = PCA(n_components=r["k"], svd_solver=r["solver"], random_state=0)
        s, cpu, _ = self.timed(lambda: p.fit_transform(x))
        return {"seconds": s, "cpu_s": cpu, "explained_variance": float(p.explained_variance_.sum()),
                "explained_ratio": float(p.explained_variance_ratio_.sum()), "solver": getattr(p, "_fit_svd_solver", r["solver"])}

    def faiss_index(self, r):
        import faiss
        x = self.mats[r["x"]]
        s, cpu, idx = self.timed(lambda: faiss.IndexFlatIP(x.shape[1]))
        idx.add(x)
        self.index = idx
        return {"records": idx.ntotal}

    def faiss_query(self, r):
        q = self.mats[r["q"]]
        n, k, keep = min(r["n"], q.shape[0]), r.get("topk", 10), r.get("keep", 0)
        lat, hits = [], []
        c, t0 = time.process_time(), time.perf_counter()
        for i in range(n):
            t = time.perf_counter()
            _, idx = self.index.search(q[i:i + 1], k)
            lat.append(time.perf_counter() - t)
            if i < keep:
                hits.append(idx[0].tolist())
        total, cpu = time.perf_counter() - t0, time.process_time() - c
        lat.sort()
        return {"seconds": statistics.median(lat), "p90_s": lat[n * 9 // 10], "total_s": total, "cpu_s": cpu / n,
                "queries": n, "hits": hits}

    def faiss_batch(self, r):
        q = self.mats[r["q"]]
        s, cpu, (_, idx) = self.timed(lambda: self.index.search(q, r.get("topk", 10)))
        return {"seconds": s, "cpu_s": cpu, "queries": q.shape[0], "qps": q.shape[0] / s,
                "hits": idx[:r.get("keep", 0)].tolist()}


def main():
    p = Peer()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r["op"] == "quit":
            break
        try:
            out = getattr(p, r["op"])(r)
        except Exception as e:  # reported to the driver, which stops
            out = {"error": f"{r['op']}: {type(e).__name__}: {e}"}
        out["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
