#!/bin/sh
# Fit TF-IDF + LSA on the same abstracts with papermap's lexical embedder and
# with scikit-learn, alternating RUNS times, and print each run's JSON line,
# then the median fit time, CPU time and peak memory of each tool and their
# ratios (papermap / scikit-learn) — measured in the same run, on the same
# machine.
#
# Usage: bench/lexical/compare.sh [FILE.jsonl[.gz]] [DIMS] [RUNS]
# Default file: ../shared/data/acm-cr/acm-dl-docs.jsonl.gz (98,442 abstracts).
# Needs /usr/bin/python3 with scikit-learn (apt-get install python3-sklearn).
set -eu
cd "$(dirname "$0")/../.."
file=${1:-../shared/data/acm-cr/acm-dl-docs.jsonl.gz}
dims=${2:-256}
runs=${3:-3}
out=$(mktemp)
trap 'rm -f "$out" /tmp/papermap-lexical-fit' EXIT
go build -o /tmp/papermap-lexical-fit ./bench/lexical/fit
i=0
while [ "$i" -lt "$runs" ]; do
	/tmp/papermap-lexical-fit -dims "$dims" "$file" | tee -a "$out"
	/usr/bin/python3 bench/lexical/sklearn_lsa.py "$file" "$dims" | tee -a "$out"
	i=$((i + 1))
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda tool, k: statistics.median(r[k] for r in rows if r["tool"] == tool)
print(f"{'median':<18} {'fit s':>8} {'cpu s':>8} {'peak MB':>8}")
for tool in ("papermap-lexical", "sklearn"):
    print(f"{tool:<18} {med(tool, 'fit_s'):8.1f} {med(tool, 'cpu_s'):8.1f} {med(tool, 'maxrss_mb'):8.0f}")
print(f"{'ratio':<18} " + " ".join(f"{med('papermap-lexical', k) / med('sklearn', k):8.2f}" for k in ("fit_s", "cpu_s", "maxrss_mb")))
PY
