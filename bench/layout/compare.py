"""bench/compare case 6: papermap's map layout (its default for the size:
t-SNE in Go up to 100,000 papers, UMAP above; --papermap adds others)
against scikit-learn's t-SNE (PCA-50 first, cosine) on the same stored
vectors, at
2,000 (arXiv, label `archive`), 2,000 drawn from ACM by seed 1 ("acm2000"),
20,000 and 100,000 papers (ACM, label `venue`), and 2,000 drawn by seed 1
from the 4,000 abstracts of acm-venues-10.jsonl, 400 from each of 10
venues of distinct fields ("venues2000", label `label`, the venue): three
label sets at 2,000, so that no 2,000 figure rests on one corpus. The data
are read from ../shared/data and never copied into the repository.
For each size: the time of each tool and, computed by the same Go code
(bench/layout eval), trustworthiness@10 against the stored vectors and the
share of each paper's 10 nearest map neighbours with its own label (on 2,000
sampled papers above 2,000). t-SNE runs are stopped after --timeout seconds
and recorded as such.

    /usr/bin/python3 bench/layout/compare.py [--sizes 2000,acm2000,venues2000,20000,100000] [--timeout 3600] [--dir DIR]
        [--papermap auto,umap]

Prints one line per size and tool:
    layout-N tool=... seconds=... [default=True] trustworthiness@10=... LABEL_agreement@10=...
and, with --json, one JSON object per line instead.
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "data")
PY = "/usr/bin/python3"


def run(cmd, timeout=None):
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)} failed:\n{p.stderr}")
    return p.stdout


def figure(out, key):
    m = re.search(r"(?:^|\s)" + re.escape(key) + r"=([0-9.]+)", out)
    return float(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="2000,acm2000,venues2000,20000,100000",
                    help="N (arXiv up to 2,000, else the first N ACM papers), acmN (N ACM papers drawn by seed 1) "
                         "or venuesN (N of acm-venues-10's 4,000 papers drawn by seed 1)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before a t-SNE run is stopped")
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "papermap-bench-layout"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--papermap", default="auto",
                    help="papermap layouts to run, comma-separated: auto (the default for the size), tsne, umap")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    pm, lay = os.path.join(args.dir, "papermap"), os.path.join(args.dir, "layout")
    run(["go", "build", "-o", pm, "./cmd/papermap"])
    run(["go", "build", "-o", lay, "./bench/layout"])
    arxiv = os.path.join(DATA, "arxiv-2007-04-2000.jsonl")
    acm = os.path.join(DATA, "acm-cr", "acm-dl-docs.jsonl.gz")
    venues = os.path.join(DATA, "acm-cr", "acm-venues-10.jsonl")
    stores = {}

    def store(name, src):
        d = os.path.join(args.dir, name + "-store")
        if name not in stores:
            if not os.path.exists(os.path.join(d, "manifest.json")):
                run([pm, "ingest", "--store", d, src])
            stores[name] = d
        return d

    for size in [s for s in args.sizes.split(",") if s]:
        # "acmN": N ACM papers drawn by seed 1 (the DOI-sorted store's first
        # N come from one publisher: fine at 20,000, one journal at 2,000).
        # "venuesN": N of acm-venues-10's papers drawn by seed 1 from their
        # own store (its lexical model fitted on those 4,000 abstracts).
        sample = []
        if size.startswith("acm"):
            n = int(size[3:])
            st, labels, field = store("acm", acm), acm, "venue"
            sample = ["--sample-seed", "1"]
        elif size.startswith("venues"):
            n = int(size[6:])
            st, labels, field = store("venues", venues), venues, "label"
            sample = ["--sample-seed", "1"]
        elif int(size) <= 2000:
            n = int(size)
            st, labels, field = store("arxiv", arxiv), arxiv, "archive"
        else:
            n = int(size)
            st, labels, field = store("acm", acm), acm, "venue"
        q = "0" if n <= 2000 else "2000"
        vec = os.path.join(args.dir, f"vectors-{size}.f32")
        dim = int(figure(run([lay, "vectors", "--store", st, "--n", str(n), "--out", vec] + sample), "dim"))

        def report(tool, secs, xy, extra=None):
            res = {"case": f"layout-{size}", "tool": tool, "seconds": secs, **(extra or {})}
            if xy is None:
                res["note"] = f"stopped after {args.timeout:.0f} s"
            else:
                out = run([lay, "eval", "--store", st, "--n", str(n), "--xy", xy, "--labels", labels,
                           "--field", field, "--queries", q] + sample)
                res["trustworthiness@10"] = figure(out, "trustworthiness@10")
                res[f"{field}_agreement@10"] = figure(out, f"{field}_agreement@10")
            if args.json:
                print(json.dumps(res), flush=True)
            else:
                print(" ".join(f"{k}={v}" for k, v in res.items()), flush=True)

        # Each tool's line is printed as soon as it is measured, so a run
        # stopped during a long t-SNE still reports papermap's figures.
        for kind in [k for k in args.papermap.split(",") if k]:
            xy = os.path.join(args.dir, f"papermap-{kind}-{size}.xy")
            out = run([lay, "run", "--store", st, "--n", str(n), "--layout", kind, "--out", xy] + sample)
            method = re.search(r"layout=(\w+)", out).group(1)
            report(f"papermap-{method}", figure(out, "seconds"), xy, {"default": True} if kind == "auto" else None)
        xy = os.path.join(args.dir, f"sklearn-{size}.xy")
        try:
            secs = figure(run([PY, "bench/layout/sklearn_tsne.py", vec, str(dim), xy], timeout=args.timeout), "seconds")
            report("sklearn-tsne", secs, xy)
        except subprocess.TimeoutExpired:
            report("sklearn-tsne", None, None)


if __name__ == "__main__":
    main()
