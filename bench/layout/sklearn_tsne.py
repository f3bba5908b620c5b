"""scikit-learn's t-SNE on the vectors bench/layout wrote: PCA to 50
dimensions first, then TSNE(metric="cosine", init="pca"), the recipe the
scikit-learn and openTSNE documentation give for text embeddings.

    /usr/bin/python3 bench/layout/sklearn_tsne.py VECTORS DIM OUT.xy

VECTORS holds little-endian float32 rows of DIM values; OUT.xy gets float32
x,y pairs. Prints "seconds=S" (PCA and t-SNE, not the file reading).
"""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE


def main():
    path, dim, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    x = np.fromfile(path, dtype="<f4").reshape(-1, dim)
    t0 = time.perf_counter()
    red = PCA(n_components=min(50, dim), random_state=0).fit_transform(x)
    xy = TSNE(n_components=2, metric="cosine", init="pca", learning_rate="auto",
              random_state=0).fit_transform(red)
    secs = time.perf_counter() - t0
    xy.astype("<f4").tofile(out)
    print(f"seconds={secs:.3f}", flush=True)


if __name__ == "__main__":
    main()
