#!/bin/sh
# Compare papermap's cluster package with scikit-learn and FAISS on the same data
# and print a Markdown table of median times and ratios.
#
#   bench/cluster/run.sh [N [RUNS [TASKS [NOISE]]]]     (from the module root)
#
# TASKS is a comma-separated subset of lloyd20,kmeans,minibatch,pca2,pca50,
# silhouette (default all); NOISE (default 5) makes harder or easier blobs.
#
# Needs Debian's /usr/bin/python3 with python3-sklearn and python3-faiss. On an
# Intel AVX-512 machine set OPENBLAS_CORETYPE=SkylakeX (it crashes on AMD).
set -eu
N=${1:-100000}
RUNS=${2:-5}
TASKS=${3:-}
NOISE=${4:-5}
TAG=""
[ "$NOISE" = 5 ] || TAG="-noise$NOISE"
DIR=${TMPDIR:-/tmp}/papermap-bench
PY=/usr/bin/python3
[ -f "$DIR/blobs-$N$TAG.f32" ] || $PY bench/cluster/gen.py "$N" "$DIR" "$NOISE"
date -u +"%Y-%m-%dT%H:%M:%SZ"
go run ./bench/cluster -dir "$DIR" -n "$N" -runs "$RUNS" -only "$TASKS" -tag "$TAG" | tee "$DIR/go-$N$TAG.jsonl"
$PY bench/cluster/compare.py "$DIR" "$N" "$RUNS" "$TASKS" "$TAG" | tee "$DIR/py-$N$TAG.jsonl"
$PY bench/cluster/ratios.py "$DIR/go-$N$TAG.jsonl" "$DIR/py-$N$TAG.jsonl"
