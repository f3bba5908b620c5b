"""Where a map's label agreement comes from: each query paper's 10 nearest
map neighbours, bucketed by their rank among the paper's neighbours in the
stored vectors (cosine), with the share of each bucket that carries the
paper's own label. Two layouts with the same label agreement@10 can keep
different neighbours; this shows which (bench/RESULTS.md, "Map layout V").

    go run ./bench/layout vectors --store DIR --n N --out V.f32   # also writes V.f32.ids
    /usr/bin/python3 bench/layout/rankshare.py --vectors V.f32 --labels FILE.jsonl[.gz] \\
        --field venue [--queries 2000] A.xy [B.xy ...]

Labels are matched by "id" (case-insensitive) and read as bench/layout eval
reads them (a missing field is the label "<nil>" there and "None" here:
either way one label of its own). Queries are drawn with numpy's seed 0
(not the Go eval's sample), so the shares differ a little from eval's.
Memory is about 12·queries·N bytes: meant for N up to some 20,000.
"""
import argparse
import gzip
import json

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vectors", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--field", required=True)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("xy", nargs="+")
    args = ap.parse_args()
    ids = open(args.vectors + ".ids").read().split()
    n = len(ids)
    x = np.fromfile(args.vectors, dtype="<f4").reshape(n, -1)
    want = {i.lower(): t for t, i in enumerate(ids)}
    y = np.array([""] * n, dtype=object)
    opener = gzip.open if args.labels.endswith(".gz") else open
    with opener(args.labels, "rt") as f:
        for line in f:
            r = json.loads(line)
            t = want.get(str(r.get("id", "")).lower())
            if t is not None:
                y[t] = str(r.get(args.field))
    q = np.arange(n) if args.queries <= 0 or args.queries >= n else \
        np.random.default_rng(0).choice(n, args.queries, replace=False)
    z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
    s = z[q] @ z.T
    s[np.arange(len(q)), q] = -np.inf
    rank = np.empty(s.shape, dtype=np.int32)
    order = np.argsort(-s, axis=1, kind="stable")
    for t in range(len(q)):
        rank[t, order[t]] = np.arange(1, n + 1)
    del s, order
    k = args.k
    edges = [0, k, 3 * k, 10 * k, 100 * k, n]
    for path in args.xy:
        xy = np.fromfile(path, dtype="<f4").reshape(-1, 2)
        d = ((xy[q][:, None, :] - xy[None, :, :]) ** 2).sum(-1)
        d[np.arange(len(q)), q] = np.inf
        nn = np.argsort(d, axis=1, kind="stable")[:, :k]
        r = np.take_along_axis(rank, nn, 1)
        same = y[nn] == y[q][:, None]
        out = [path, f"label share {same.mean():.4f}"]
        for a, b in zip(edges, edges[1:]):
            m = (r > a) & (r <= b)
            out.append(f"rank ({a},{b}]: {m.mean():.3f} of neighbours, share {same[m].mean() if m.any() else 0:.3f}")
        print(" | ".join(out), flush=True)


if __name__ == "__main__":
    main()
