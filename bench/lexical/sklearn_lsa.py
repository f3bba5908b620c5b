"""Time scikit-learn's TfidfVectorizer + TruncatedSVD (the pipeline the lexical
embedder reproduces) on a JSON-lines file of abstracts; print one JSON object
like bench/lexical/fit: documents, terms, dimensions, seconds to read, to
vectorise and to reduce, CPU seconds and peak resident memory.

Records with an abstract of over 100 characters are used, as
title + ". " + abstract. The rows are normalised after the SVD, as papermap does.

Usage: /usr/bin/python3 bench/lexical/sklearn_lsa.py FILE.jsonl[.gz] [DIMS [LIMIT]]
(LIMIT: use only the first LIMIT abstracts.)
"""
import gzip
import json
import resource
import sys
import time

from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize


def main():
    path = sys.argv[1]
    dims = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    t0 = time.perf_counter()
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
    t1 = time.perf_counter()
    x = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5).fit_transform(texts)
    t2 = time.perf_counter()
    v = normalize(TruncatedSVD(n_components=dims, random_state=0).fit_transform(x))
    t3 = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "tool": "sklearn", "docs": x.shape[0], "terms": x.shape[1], "dims": v.shape[1],
        "read_s": round(t1 - t0, 2), "tfidf_s": round(t2 - t1, 2), "svd_s": round(t3 - t2, 2),
        "fit_s": round(t3 - t1, 2), "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
        "maxrss_mb": ru.ru_maxrss // 1024,
    }), flush=True)


if __name__ == "__main__":
    main()
