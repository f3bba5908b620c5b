"""scikit-learn's TF-IDF cosine on the citation benchmark, beside papermap's.

Usage: python3 bench/citations/sklearn_tfidf.py COLLECTION.jsonl QUERIES.jsonl

TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2,
max_df=0.5) over title + ". " + abstract, cosine ranking, recall@10 and
MRR@10 in percent, printed as one row of bench/citations' table.
"""
import json
import sys

from sklearn.feature_extraction.text import TfidfVectorizer

docs = [json.loads(line) for line in open(sys.argv[1])]
queries = [json.loads(line) for line in open(sys.argv[2])]
ids = [d["id"].lower() for d in docs]
texts = [(d["title"] + ". " + d["abstract"]) if d["abstract"] else d["title"] for d in docs]
vec = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.5)
X = vec.fit_transform(texts)
Q = vec.transform([q["text"] for q in queries])
S = (Q @ X.T).toarray()
recall = mrr = 0.0
for i, q in enumerate(queries):
    rel = {r.lower() for r in q["relevant"]}
    top = S[i].argsort()[::-1][:10]
    hits = [ids[j] in rel for j in top]
    recall += sum(hits) / len(rel)
    mrr += next((1 / (r + 1) for r, h in enumerate(hits) if h), 0)
n = len(queries)
print("%-28s %9.1f %7.1f" % ("scikit-learn TF-IDF cosine", 100 * recall / n, 100 * mrr / n))
