"""Time scikit-learn and FAISS on the files gen.py writes; print one JSON object
per measurement: {"tool", "task", "n", "seconds" (median), "runs", "inertia"?}.

Usage: /usr/bin/python3 compare.py DIR N [RUNS [TASKS [TAG]]]
(TAG selects blobs-N-TAG.f32, as gen.py names data with another noise.)
"""
import json
import statistics
import sys
import time

import numpy as np

def timed(fn, runs):
    out, ts = None, []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out

def emit(tool, task, n, secs, runs, **kw):
    n = N_LABEL
    print(json.dumps(dict(tool=tool, task=task, n=n, seconds=round(secs, 4), runs=runs, **kw)), flush=True)

def main():
    d, k = 384, 50
    root, n = sys.argv[1], int(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    only = set(sys.argv[4].split(",")) if len(sys.argv) > 4 and sys.argv[4] else None
    tag = sys.argv[5] if len(sys.argv) > 5 else ""
    x = np.fromfile(f"{root}/blobs-{n}{tag}.f32", dtype=np.float32).reshape(n, d)
    init = np.fromfile(f"{root}/init-{n}{tag}.f32", dtype=np.float32).reshape(k, d)
    global N_LABEL
    N_LABEL = f"{n}{tag}"
    want = lambda t: only is None or t in only

    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score
    if want("lloyd20"):
        km = lambda: KMeans(n_clusters=k, init=init, n_init=1, max_iter=20, tol=0, algorithm="lloyd").fit(x)
        s, m = timed(km, runs)
        emit("sklearn", "lloyd20", n, s, runs, inertia=float(m.inertia_), iters=int(m.n_iter_))
    if want("kmeans"):
        km = lambda: KMeans(n_clusters=k, n_init=4, max_iter=100, random_state=1, algorithm="lloyd").fit(x)
        s, m = timed(km, runs)
        emit("sklearn", "kmeans", n, s, runs, inertia=float(m.inertia_), iters=int(m.n_iter_))
    if want("minibatch"):
        mb = lambda: MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=3, random_state=1).fit(x)
        s, m = timed(mb, runs)
        emit("sklearn", "minibatch", n, s, runs, inertia=float(m.inertia_), iters=int(m.n_steps_))
    for c in (2, 50):
        if want(f"pca{c}"):
            s, p = timed(lambda: PCA(n_components=c, random_state=0).fit(x), runs)
            emit("sklearn", f"pca{c}", n, s, runs, explained=float(p.explained_variance_.sum()))
            s, _ = timed(lambda: PCA(n_components=c, random_state=0).fit_transform(x), runs)
            emit("sklearn", f"pca{c}+transform", n, s, runs)
    if want("silhouette"):
        lab = np.arange(n) % k
        s, v = timed(lambda: silhouette_score(x, lab, sample_size=2000, random_state=0), runs)
        emit("sklearn", "silhouette2000", n, s, runs, value=float(v))

    import faiss
    if want("lloyd20"):
        def fk():
            km = faiss.Kmeans(d, k, niter=20, max_points_per_centroid=n, min_points_per_centroid=1, seed=1)
            km.train(x, init_centroids=init)
            return km
        s, m = timed(fk, runs)
        _, idx = m.index.search(x, 1)
        cen = m.centroids[idx[:, 0]]
        inertia = float(((x.astype(np.float64) - cen) ** 2).sum())
        emit("faiss", "lloyd20", n, s, runs, inertia=inertia, threads=faiss.omp_get_max_threads())

if __name__ == "__main__":
    main()
