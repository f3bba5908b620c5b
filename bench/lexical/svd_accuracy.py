"""Accuracy of a truncated SVD against a converged reference, from singular values.

Two uses:

  /usr/bin/python3 bench/lexical/svd_accuracy.py sklearn FILE.jsonl[.gz] [DIMS [LIMIT]]
      scikit-learn's pipeline of bench/lexical/sklearn_lsa.py: TruncatedSVD's
      randomized solver (n_iter=5, float64) against ARPACK (float64, to
      convergence) on the same TF-IDF matrix.
  /usr/bin/python3 bench/lexical/svd_accuracy.py compare EST.json REF.json
      two lists of singular values written by `bench/lexical/fit -sv`.

Prints one JSON object: "captured", the variance the estimated subspace
captures as a share of what the reference top-DIMS subspace captures
(sum of squared singular values; the Ritz values of a randomized SVD are
the norms of A's projections on its basis, so this is ||A V||^2 / ||A V*||^2,
at most 1), and the median and largest relative error of the singular values.
"""
import json
import sys

import numpy as np


def figures(est, ref):
    est, ref = np.sort(np.asarray(est, float))[::-1], np.sort(np.asarray(ref, float))[::-1]
    rel = np.abs(est - ref) / ref
    return {
        "dims": len(ref),
        "captured": round(float((est ** 2).sum() / (ref ** 2).sum()), 6),
        "sv_rel_err_median": float("%.3g" % np.median(rel)),
        "sv_rel_err_max": float("%.3g" % rel.max()),
        "sv_rel_err_last": float("%.3g" % rel[-1]),
    }


def main():
    if sys.argv[1] == "compare":
        est, ref = (json.load(open(p)) for p in sys.argv[2:4])
        print(json.dumps({"tool": "papermap-lexical", **figures(est, ref)}))
        return
    import gzip
    from scipy.sparse.linalg import svds
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    path = sys.argv[2]
    dims = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    opener = gzip.open if path.endswith(".gz") else open
    texts = []
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            a = r.get("abstract") or ""
            if len(a) > 100:
                texts.append((r.get("title") or "") + ". " + a)
                if len(texts) == limit:
                    break
    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5).fit_transform(texts)
    est = TruncatedSVD(n_components=dims, random_state=0).fit(x).singular_values_
    ref = svds(x, k=dims, tol=0, return_singular_vectors=False)
    print(json.dumps({"tool": "sklearn", "docs": x.shape[0], "terms": x.shape[1], **figures(est, ref)}))


if __name__ == "__main__":
    main()
