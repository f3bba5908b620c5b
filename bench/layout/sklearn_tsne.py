"""scikit-learn's t-SNE on the vectors bench/layout wrote: PCA to 50
dimensions first, then TSNE(metric="cosine", init="pca"), the recipe the
scikit-learn and openTSNE documentation give for text embeddings.

    /usr/bin/python3 bench/layout/sklearn_tsne.py VECTORS DIM OUT.xy [--pca D] [--perplexity P] [--seed S]

VECTORS holds little-endian float32 rows of DIM values; OUT.xy gets float32
x,y pairs. Prints "seconds=S" (PCA and t-SNE, not the file reading).
--pca (default 50) and --perplexity (default 30, scikit-learn's) exist for
the diagnostics of bench/RESULTS.md ("Map layout V"), --seed (default 0:
random_state of the PCA and of t-SNE) for t-SNE's own spread across seeds
("Map layout VI"); bench/compare uses the defaults.
"""
import argparse
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vectors")
    ap.add_argument("dim", type=int)
    ap.add_argument("out")
    ap.add_argument("--pca", type=int, default=50)
    ap.add_argument("--perplexity", type=float, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    x = np.fromfile(args.vectors, dtype="<f4").reshape(-1, args.dim)
    t0 = time.perf_counter()
    red = PCA(n_components=min(args.pca, args.dim), random_state=args.seed).fit_transform(x)
    xy = TSNE(n_components=2, metric="cosine", init="pca", learning_rate="auto",
              perplexity=args.perplexity, random_state=args.seed).fit_transform(red)
    secs = time.perf_counter() - t0
    xy.astype("<f4").tofile(args.out)
    print(f"seconds={secs:.3f}", flush=True)


if __name__ == "__main__":
    main()
