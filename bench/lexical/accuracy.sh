#!/bin/sh
# Accuracy of the lexical model's truncated SVD (4 subspace iterations in
# float32, papermap's default) and of scikit-learn's (TruncatedSVD's
# randomized solver, 5 iterations in float64), each against a converged
# reference on its own TF-IDF matrix of the same abstracts:
#   papermap: the same fit with REF_ITERS iterations (float32), checked
#             against one with twice as many;
#   scikit-learn: ARPACK (scipy svds, float64, to convergence).
# Figures: the share of the reference subspace's variance captured, and the
# relative error of the singular values (see svd_accuracy.py).
#
# Usage: bench/lexical/accuracy.sh [FILE.jsonl[.gz]] [DIMS] [LIMIT] [REF_ITERS]
# Defaults: ../shared/data/acm-cr/acm-dl-docs.jsonl.gz, 256, 20000, 30.
# Needs /usr/bin/python3 with scikit-learn and scipy (apt-get install python3-sklearn).
set -eu
cd "$(dirname "$0")/../.."
file=${1:-../shared/data/acm-cr/acm-dl-docs.jsonl.gz}
dims=${2:-256}
limit=${3:-20000}
ref=${4:-30}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/fit" ./bench/lexical/fit
"$tmp/fit" -dims "$dims" -limit "$limit" -sv "$tmp/sv-default.json" "$file" >/dev/null
"$tmp/fit" -dims "$dims" -limit "$limit" -iters "$ref" -sv "$tmp/sv-ref.json" "$file" >/dev/null
"$tmp/fit" -dims "$dims" -limit "$limit" -iters $((2 * ref)) -sv "$tmp/sv-ref2.json" "$file" >/dev/null
echo "papermap, default iterations against $ref:"
/usr/bin/python3 bench/lexical/svd_accuracy.py compare "$tmp/sv-default.json" "$tmp/sv-ref.json"
echo "papermap, default iterations against $((2 * ref)):"
/usr/bin/python3 bench/lexical/svd_accuracy.py compare "$tmp/sv-default.json" "$tmp/sv-ref2.json"
echo "papermap, $ref iterations against $((2 * ref)) (is the reference converged?):"
/usr/bin/python3 bench/lexical/svd_accuracy.py compare "$tmp/sv-ref.json" "$tmp/sv-ref2.json"
echo "scikit-learn, randomized (5 iterations) against ARPACK:"
/usr/bin/python3 bench/lexical/svd_accuracy.py sklearn "$file" "$dims" "$limit"
