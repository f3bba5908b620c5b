"""V-measure of scikit-learn's TF-IDF -> LSA -> k-means on the arXiv testdata,
the reference for the lexical embedder's quality probe
(embed/lexical/quality_test.go, TestLexicalClusterQualitySweep).

Pipeline: TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2,
max_df=0.5) -> TruncatedSVD(d, random_state=seed) -> Normalizer ->
KMeans(18, n_init=10, random_state=seed); text = title + ". " + abstract;
classes = the "archive" field (18 archives). Prints V-measure x 100 for each
dimension and seed, and the mean over seeds 0, 1, 2.

With --vectors DIR, also clusters the vectors papermap's lexical embedder made
(written by PAPERMAP_EXPORT_VECTORS=DIR go test -run TestLexicalExportVectors
./embed/lexical/, files arxiv-d{dims}-s{seed}.f32) with the same KMeans, so that the
two embeddings are compared with the same clusterer.

Usage (from the repository root):
  /usr/bin/python3 bench/sklearn_vmeasure.py [--vectors DIR] [testdata/arxiv-2007-04-2000.jsonl]
(On this project's AMD EPYC machine OPENBLAS_CORETYPE=SkylakeX dies with
"Illegal instruction": the CPU has no AVX-512. Leave it unset.)
"""
import argparse
import json
import os

import numpy as np

import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import v_measure_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import Normalizer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", help="directory of papermap vectors to cluster too")
    ap.add_argument("path", nargs="?", default="testdata/arxiv-2007-04-2000.jsonl")
    args = ap.parse_args()
    path = args.path
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            texts.append(r["title"] + ". " + r["abstract"])
            labels.append(r["archive"])
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5)
    x = tfidf.fit_transform(texts)
    print(f"scikit-learn {sklearn.__version__}: {x.shape[0]} documents, {x.shape[1]} terms, "
          f"{len(set(labels))} archives")
    print(f"{'dims':>5} {'seed 0':>7} {'seed 1':>7} {'seed 2':>7} {'mean':>7}")
    for d in (50, 100, 150, 256):
        scores = []
        for seed in (0, 1, 2):
            lsa = make_pipeline(TruncatedSVD(n_components=d, random_state=seed), Normalizer(copy=False))
            v = lsa.fit_transform(x)
            km = KMeans(n_clusters=18, n_init=10, random_state=seed).fit(v)
            scores.append(100 * v_measure_score(labels, km.labels_))
        print(f"{d:>5} " + " ".join(f"{s:7.1f}" for s in scores) + f" {sum(scores) / 3:7.1f}", flush=True)
    if not args.vectors:
        return
    print("papermap lexical vectors, same KMeans")
    print(f"{'dims':>5} {'seed 0':>7} {'seed 1':>7} {'seed 2':>7} {'mean':>7}")
    for d in (50, 100, 150, 256):
        scores = []
        for seed in (0, 1, 2):
            v = np.fromfile(os.path.join(args.vectors, f"arxiv-d{d}-s{seed}.f32"), dtype="<f4").reshape(len(texts), d)
            km = KMeans(n_clusters=18, n_init=10, random_state=seed).fit(v)
            scores.append(100 * v_measure_score(labels, km.labels_))
        print(f"{d:>5} " + " ".join(f"{s:7.1f}" for s in scores) + f" {sum(scores) / 3:7.1f}", flush=True)


if __name__ == "__main__":
    main()
