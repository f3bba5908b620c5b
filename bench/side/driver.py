"""Driver of bench/compare: papermap against scikit-learn, FAISS and
chromem-go on the same data, in the same run, repetitions interleaved.

It prepares the data (bench/cluster/gen.py, plus query vectors), picks the
fastest OpenBLAS kernel that runs on this CPU for the Python peers, starts
one papermap worker (bench/side/main.go) and one worker per Python peer
(bench/side/peer.py) per case, and runs the repetitions of every tool in
turn (round r starts with tool r mod m), so that a busy moment of the
shared machine falls on all of them alike. Each case prints one line per
peer:

    CASE papermap_s=1.23 peer=sklearn peer_s=1.50 ratio=0.82 [quality figures]

with medians of the repetitions (ratio = papermap / peer), and the whole
table goes into bench/RESULTS.md under "## Side by side (bench/compare)"
(replaced on each run) unless --no-write.

Usage (from bench/compare, which installs the Debian packages first):

    /usr/bin/python3 bench/side/driver.py [--quick] [--repeats N] [--cases 1,2,3,4,5]
        [--dir DIR] [--acm FILE] [--no-write]
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PY = "/usr/bin/python3"
D, K = 384, 50
THREADS = 2
SECTION = "## Side by side (bench/compare)"

# OpenBLAS kernels to try for the peers ("" = OpenBLAS's own choice). The
# AVX-512 ones die with SIGILL on a CPU without AVX-512; the probe skips them.
CORETYPES = ["", "Haswell", "Zen", "SkylakeX", "Cooperlake", "Sandybridge"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------- workers

class Worker:
    """A worker process speaking one JSON object per line."""

    def __init__(self, name, argv, env):
        self.name = name
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)

    def call(self, **req):
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} worker died (exit {self.p.wait()}) on {req}")
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError(f"{self.name}: {out['error']}")
        return out

    def close(self):
        try:
            self.p.stdin.write('{"op":"quit"}\n')
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait()


def go_env():
    env = dict(os.environ, GOMAXPROCS=str(THREADS))
    return env


def peer_env(coretype):
    env = dict(os.environ, THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS))
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    # FAISS and scikit-learn's k-means run OpenMP threads and call OpenBLAS
    # (pthreads) between their parallel regions: with libgomp's default
    # spin-wait the idle OpenMP threads take the cores OpenBLAS's threads
    # need, worse on a shared machine. Sleeping idle threads made FAISS's
    # k-means 3-5x faster here, scikit-learn's MiniBatchKMeans 3-4x and its
    # KMeans 1.3x (bench/side/NOTES.md).
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


# ---------------------------------------------------------------- setup

GEMM_PROBE = r"""
import time, numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
threadpool_limits(%d)
x = np.random.default_rng(0).standard_normal((100000, 384), dtype=np.float32)
c = np.random.default_rng(1).standard_normal((384, 50), dtype=np.float32)
ts = []
for _ in range(7):
    t = time.perf_counter(); x @ c; ts.append(time.perf_counter() - t)
arch = [i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"]
print(2 * 100000 * 384 * 50 / sorted(ts)[3] / 1e9, arch[0] if arch else "?")
""" % THREADS


def probe_coretype(rounds):
    """Time a float32 GEMM of case 1's shape under each OpenBLAS kernel,
    interleaved, and return the fastest that runs, with the figures."""
    gf = {c: [] for c in CORETYPES}
    arch, dead = {}, {}
    for r in range(rounds):
        for c in CORETYPES:
            if c in dead:
                continue
            p = subprocess.run([PY, "-c", GEMM_PROBE], env=peer_env(c), capture_output=True, text=True)
            if p.returncode != 0:
                dead[c] = f"exit {p.returncode}" + (" (SIGILL: illegal instruction)" if p.returncode == -4 else "")
                continue
            v, a = p.stdout.split()
            gf[c].append(float(v))
            arch[c] = a
    alive = {c: statistics.median(v) for c, v in gf.items() if v}
    best = max(alive, key=alive.get)
    return best, alive, arch, dead


def gen(args, n, noise):
    tag = "" if noise == 5 else f"-noise{noise}"
    path = f"{args.dir}/blobs-{n}{tag}.f32"
    if not os.path.exists(path) or os.path.getsize(path) != n * D * 4:
        log(f"generating {path}")
        subprocess.run([PY, f"{ROOT}/bench/cluster/gen.py", str(n), args.dir, str(noise)], check=True)
    return path, f"{args.dir}/init-{n}{tag}.f32"


def make_queries(args, nq):
    """nq unit queries from gen.py's blob model (its centres, seed 42; the
    queries' own noise from seed 7), so they are not rows of the data."""
    path = f"{args.dir}/queries-{nq}.f32"
    if not os.path.exists(path) or os.path.getsize(path) != nq * D * 4:
        centres = np.random.default_rng(42).standard_normal((K, D))
        rng = np.random.default_rng(7)
        v = centres[rng.integers(K, size=nq)] + 5 * rng.standard_normal((nq, D))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        v.astype(np.float32).tofile(path)
    return path


# ---------------------------------------------------------------- measuring

def interleave(runs, repeats, warmup=False):
    """runs: list of (key, fn). Calls every fn `repeats` times, round r
    starting at run r mod m; returns key -> list of answers. With warmup,
    one more round first, whose answers are dropped."""
    out = {k: [] for k, _ in runs}
    m = len(runs)
    for r in range(repeats + (1 if warmup else 0)):
        for i in range(m):
            k, fn = runs[(r + i) % m]
            a = fn()
            if warmup and r == 0:
                continue
            out[k].append(a)
            log(f"  {k}: {a.get('seconds', 0):.4f} s")
    return out


def med(answers, key="seconds"):
    return statistics.median(a[key] for a in answers)


class Report:
    def __init__(self):
        self.lines = []   # printed CASE lines
        self.rows = []    # table rows
        self.goals = []   # (text, ok)

    def line(self, case, pm, peer, ps, extra="", goal=None):
        ratio = pm / ps
        s = f"{case} papermap_s={pm:.4g} peer={peer} peer_s={ps:.4g} ratio={ratio:.2f}" + (f" {extra}" if extra else "")
        print(s, flush=True)
        self.lines.append(s)
        self.rows.append((case, pm, peer, ps, ratio, extra))
        if goal is not None:
            self.goals.append((f"{case} vs {peer}: ratio {ratio:.2f} ≤ {goal}", ratio <= goal))
        return ratio

    def target(self, text, ok):
        print(f"TARGET {text}: {'met' if ok else 'MISSED'}", flush=True)
        self.goals.append((text, ok))


def agreement(a, b):
    """Mean fraction of the top-k row sets shared by two lists of hits."""
    if not a or not b:
        return float("nan")
    return statistics.mean(len(set(x) & set(y)) / max(len(x), 1) for x, y in zip(a, b))


# ---------------------------------------------------------------- cases

@contextlib.contextmanager
def workers(args, *peers, load=()):
    """Starts papermap's worker and one peer worker per (name, env) in peers,
    loads every (name, path, rows) of load into each, yields them in that
    order, and closes them all."""
    ws = [Worker("papermap", [args.side], go_env())]
    try:
        for name, env in peers:
            ws.append(Worker(name, [PY, f"{ROOT}/bench/side/peer.py"], env))
        for w in ws:
            for name, path, rows in load:
                w.call(op="load", name=name, path=path, rows=rows, cols=D)
        yield ws
    finally:
        for w in ws:
            w.close()


def case_lloyd(args, rep, env_sk, env_fa, n):
    x, init = gen(args, n, 8)
    with workers(args, ("sklearn", env_sk), ("faiss", env_fa),
                 load=[("x", x, n), ("c0", init, K)]) as (g, sk, fa):
        req = dict(x="x", init="c0", iters=20)
        res = interleave([("papermap", lambda: g.call(op="lloyd", **req)),
                          ("sklearn", lambda: sk.call(op="sk_lloyd", **req)),
                          ("faiss", lambda: fa.call(op="faiss_lloyd", **req))], args.reps[1], warmup=True)
    case = f"kmeans-lloyd20-{label(n)}"
    pm = med(res["papermap"])
    q = lambda t: f"{t}_inertia={res[t][-1]['inertia']:.1f} {t}_iters={res[t][-1]['iters']}"
    cpu = lambda t: med(res[t], "cpu_s")
    for peer, goal in (("sklearn", 1.0), ("faiss", 2.0)):
        rep.line(case, pm, peer, med(res[peer]),
                 f"{q('papermap')} {q(peer)} cpu_ratio={cpu('papermap') / cpu(peer):.2f}", goal)


def case_minibatch(args, rep, env_sk, env_fa, n):
    x, _ = gen(args, n, 5)
    with workers(args, ("sklearn", env_sk), ("faiss", env_fa), load=[("x", x, n)]) as (g, sk, fa):
        req = dict(x="x", k=K, seed=1)
        res = interleave([("papermap", lambda: g.call(op="minibatch", **req)),
                          ("sklearn", lambda: sk.call(op="sk_minibatch", **req)),
                          ("faiss", lambda: fa.call(op="faiss_kmeans", **req)),
                          ("papermap-sample", lambda: g.call(op="sample", iters=20, **req))], args.reps[2])
        peak = max(a["peak_rss_mb"] for a in res["papermap"])
        # The reference: papermap's full k-means (k-means++ × 4, to
        # convergence) on the same data, once; cached beside the data.
        st = os.stat(x)
        ref_path = f"{args.dir}/ref-kmeans-{n}.json"
        key = {"size": st.st_size, "mtime": int(st.st_mtime), "k": K, "seed": 1}
        ref = None
        if os.path.exists(ref_path):
            ref = json.load(open(ref_path))
            if ref.get("key") != key:
                ref = None
        if ref is None:
            log(f"  full k-means reference on {n} rows (once; cached in {ref_path})")
            a = g.call(op="kmeans", **req)
            ref = {"key": key, "inertia": a["inertia"], "iters": a["iters"], "seconds": a["seconds"],
                   "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
            json.dump(ref, open(ref_path, "w"))
    case = f"minibatch-{label(n)}"
    pm = med(res["papermap"])
    gap = lambda t: (med(res[t], "inertia") / ref["inertia"] - 1) * 100
    q = lambda t: f"{t}_inertia={med(res[t], 'inertia'):.1f} ({gap(t):+.2f}% vs full, {res[t][-1]['iters']} it)"
    base = f"full_kmeans_inertia={ref['inertia']:.1f} papermap_peak_rss_mb={peak:.0f}"
    rep.line(case, pm, "sklearn-minibatch", med(res["sklearn"]), f"{q('papermap')} {q('sklearn')} {base}", 1.0)
    rep.line(case, pm, "faiss-kmeans-sub", med(res["faiss"]), f"{q('papermap')} {q('faiss')} {base}", 2.0)
    # The same recipe as FAISS's, with papermap's KMeans and Assign.
    rep.line(f"kmeans-sample-{label(n)}", med(res["papermap-sample"]), "faiss-kmeans-sub", med(res["faiss"]),
             f"{q('papermap-sample')} {q('faiss')}", 2.0)
    rep.target(f"{case}: time {pm:.1f} s < 60 s", pm < 60)
    rep.target(f"{case}: papermap peak RSS {peak:.0f} MiB < 3 GB", peak < 3000)
    rep.target(f"{case}: inertia {gap('papermap'):+.2f}% of full k-means, within 2%", abs(gap("papermap")) <= 2)


def case_pca(args, rep, env_sk, n):
    x, _ = gen(args, n, 5)
    with workers(args, ("sklearn", env_sk), load=[("x", x, n)]) as (g, sk):
        runs = []
        for k in (2, 50):
            runs.append((f"papermap{k}", lambda k=k: g.call(op="pca", x="x", k=k)))
            for solver in ("auto", "full", "arpack"):
                runs.append((f"{solver}{k}", lambda k=k, s=solver: sk.call(op="sk_pca", x="x", k=k, solver=s)))
        res = interleave(runs, args.reps[3], warmup=True)
    for k in (2, 50):
        case = f"pca{k}-{label(n)}"
        pm = med(res[f"papermap{k}"])
        peers = {s: med(res[f"{s}{k}"]) for s in ("auto", "full", "arpack")}
        fastest = min(peers, key=peers.get)
        for s, ps in peers.items():
            name = f"sklearn-{s}" + (f"={res[f'{s}{k}'][-1]['solver']}" if s == "auto" else "")
            rep.line(case, pm, name, ps,
                     f"papermap_var={res[f'papermap{k}'][-1]['explained_ratio']:.5f} "
                     f"peer_var={res[f'{s}{k}'][-1]['explained_ratio']:.5f}" + (" (fastest peer)" if s == fastest else ""),
                     1.0 if s == fastest else None)


def case_search(args, rep, env_fa, n, nq, nq_chromem):
    x, _ = gen(args, n, 5)
    qpath = make_queries(args, nq)
    keep = 100
    with workers(args, ("faiss", env_fa), load=[("x", x, n), ("q", qpath, nq)]) as (g, fa):
        built = g.call(op="store", x="x")
        log(f"  store built in {built['store_s']:.1f} s, chromem-go collection in {built['chromem_s']:.1f} s")
        fa.call(op="faiss_index", x="x")
        # Warm-up: a few queries each.
        g.call(op="query", q="q", n=20, engine="flat")
        g.call(op="query", q="q", n=5, engine="chromem")
        fa.call(op="faiss_query", q="q", n=20)
        res = interleave([
            ("papermap", lambda: g.call(op="query", q="q", n=nq, engine="flat", keep=keep)),
            ("faiss", lambda: fa.call(op="faiss_query", q="q", n=nq, keep=keep)),
            ("chromem", lambda: g.call(op="query", q="q", n=nq_chromem, engine="chromem", keep=keep)),
            ("papermap-batch", lambda: g.call(op="batch", q="q", keep=keep)),
            ("faiss-batch", lambda: fa.call(op="faiss_batch", q="q", keep=keep)),
        ], args.reps[4])
    ref = res["faiss"][-1]["hits"]
    agree = lambda t: f"{t}_agree@10={agreement(res[t][-1]['hits'], ref):.4f}"
    case = f"search-1q-{label(n)}"
    pm = med(res["papermap"])
    rep.line(case, pm, "faiss-IndexFlatIP", med(res["faiss"]),
             f"queries={nq} {agree('papermap')} cpu_per_query_ratio={med(res['papermap'], 'cpu_s') / med(res['faiss'], 'cpu_s'):.2f}", 2.0)
    rep.line(case, pm, "chromem-go-QueryEmbedding", med(res["chromem"]),
             f"queries={nq_chromem} {agree('chromem')}", 1.0)
    case = f"search-batch{nq}-{label(n)}"
    pm = med(res["papermap-batch"])
    rep.line(case, pm, "faiss-IndexFlatIP", med(res["faiss-batch"]),
             f"papermap_qps={nq / pm:.0f} faiss_qps={nq / med(res['faiss-batch']):.0f} {agree('papermap-batch')} "
             f"cpu_ratio={med(res['papermap-batch'], 'cpu_s') / med(res['faiss-batch'], 'cpu_s'):.2f}", 2.0)


def case_lexical(args, rep, env_sk):
    if not os.path.exists(args.acm):
        msg = f"lexical-acm skipped: {args.acm} is absent"
        print(msg, flush=True)
        rep.goals.append((msg, None))
        return
    limit = ["-limit", str(args.lexical_limit)] if args.lexical_limit else []
    rows = {"papermap": [], "sklearn": []}
    runs = [("papermap", [args.fit, "-dims", "256"] + limit + [args.acm], go_env()),
            ("sklearn", [PY, f"{ROOT}/bench/lexical/sklearn_lsa.py", args.acm, "256"] +
             ([str(args.lexical_limit)] if args.lexical_limit else []), env_sk)]
    for r in range(args.reps[5]):
        for i in range(2):
            tool, argv, env = runs[(r + i) % 2]
            p = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
            if p.returncode != 0:
                raise RuntimeError(f"{tool} lexical fit failed: {p.stderr[-2000:]}")
            a = json.loads(p.stdout.strip().splitlines()[-1])
            a["seconds"] = a["fit_s"]
            rows[tool].append(a)
            log(f"  {tool}: fit {a['fit_s']} s, peak {a['maxrss_mb']} MB")
    pm, sk = rows["papermap"], rows["sklearn"]
    docs = pm[-1]["docs"]
    case = f"lexical-acm-{docs // 1000}k"
    rep.line(case, med(pm), "sklearn-tfidf+truncatedsvd", med(sk),
             f"papermap_peak_mb={med(pm, 'maxrss_mb'):.0f} peer_peak_mb={med(sk, 'maxrss_mb'):.0f} "
             f"mem_ratio={med(pm, 'maxrss_mb') / med(sk, 'maxrss_mb'):.2f} docs={docs}/{sk[-1]['docs']} "
             f"terms={pm[-1]['terms']}/{sk[-1]['terms']} peer_tfidf_s={med(sk, 'tfidf_s'):.2f} peer_svd_s={med(sk, 'svd_s'):.2f} "
             f"cpu_ratio={med(pm, 'cpu_s') / med(sk, 'cpu_s'):.2f}", 1.0)


def case_layout(args, rep):
    """Case 6: the map layout (bench/layout/compare.py, one run per tool and
    size: t-SNE at 100k takes most of an hour here)."""
    sizes = "2000,acm2000,venues2000,20000" if args.quick else "2000,acm2000,venues2000,20000,100000"
    out = subprocess.run([PY, f"{ROOT}/bench/layout/compare.py", "--json", "--sizes", sizes,
                          "--timeout", str(args.tsne_timeout), "--dir", os.path.join(args.dir, "layout")], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        r = json.loads(line)
        res.setdefault(r["case"], {})[r["tool"]] = r
    for case, tools in res.items():
        pm = next(r for r in tools.values() if r.get("default"))  # papermap's default layout
        sk = tools["sklearn-tsne"]
        q = lambda r: " ".join(f"{r['tool']}:{k}={v:.3f}" for k, v in r.items() if "@" in k)
        if sk["seconds"] is None:
            rep.line(case, pm["seconds"], "sklearn-tsne", float("nan"), f"{q(pm)} sklearn: {sk.get('note')}")
        else:
            rep.line(case, pm["seconds"], "sklearn-tsne", sk["seconds"], f"{q(pm)} {q(sk)}", 1.0)


def run_jsonl(argv, env):
    """Runs a tool that prints one JSON object per line; returns them."""
    log("  " + " ".join(argv))
    rows = []
    # Each line is logged as it comes, so that a long run (case 7 at 1M:
    # an hour) shows its progress, and what it measured survives a timeout.
    with subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) as p:
        for line in p.stdout:
            if line.strip():
                log("    " + line.strip())
                rows.append(json.loads(line))
    if p.returncode:
        raise subprocess.CalledProcessError(p.returncode, argv)
    return rows


def first_at(rows, key, goal=0.95):
    """The first sweep row (smallest parameter) whose recall reaches goal,
    else the row with the best recall."""
    sweep = [r for r in rows if key in r]
    for r in sweep:
        if r["recall"] >= goal:
            return r
    return max(sweep, key=lambda r: r["recall"])


def case_ann(args, rep, env_fa):
    """Case 7: papermap's HNSW index (bench/ann, package vectorstore/ann)
    as the store builds and walks it (bench/ann -store-settings, the
    settings of vectorstore.IndexSettings: M, efConstruction, the graph
    built over 8-bit codes and walked over them) against FAISS
    IndexHNSWFlat (M 16, efConstruction 100: faiss_ann.py's defaults) and
    IndexIVFFlat, on the same vectors: gen.py's blobs (case 4's data) or
    --ann-x (e.g. a store's matrix). Each tool sweeps its search parameter
    and is reported at the smallest value with recall@10 ≥ 0.95 against
    the exact top 10. Single queries, one at a time; builds with 2 threads."""
    n = args.ann_n
    if args.ann_x:
        x, dim = args.ann_x, args.ann_dim
        n = n or os.path.getsize(x) // (4 * dim)
    else:
        x, _ = gen(args, n, 5)
        dim = D
    q = args.ann_q or make_queries(args, 1000)
    nq = 200
    efs = "32,64,128,256,512,768,1024,1536,2048,3072"
    th = args.ann_threads
    common = ["--x", x, "--q", q, "--dim", str(dim), "--nq", str(nq), "--n", str(n), "--threads", str(th)]
    genv = dict(go_env(), GOMAXPROCS=str(th))
    penv = dict(env_fa, OMP_NUM_THREADS=str(th), OPENBLAS_NUM_THREADS=str(th))
    pm = run_jsonl([args.ann, "-x", x, "-q", q, "-dim", str(dim), "-nq", str(nq), "-n", str(n), "-ef", efs,
                    "-workers", str(th), "-store-settings"], genv)
    peers = []
    if "hnsw" in args.ann_faiss:
        hn = run_jsonl([PY, f"{ROOT}/bench/ann/faiss_ann.py", "--kind", "hnsw", "--ef", efs] + common, penv)
        peers.append(("faiss-IndexHNSWFlat", hn, "ef"))
    if "ivf" in args.ann_faiss:
        # nprobe to 1,024: at 1M x 384 IndexIVFFlat reached 0.95 only at 768
        # (2026-12-07, bench/RESULTS.md "Case 7 at 1M x 384").
        ivf = ["--kind", "ivf", "--nprobe", "1,2,4,8,16,32,64,128,256,512,768,1024"]
        if args.ann_nlist:
            ivf += ["--nlist", str(args.ann_nlist)]
        if args.ann_train:
            ivf += ["--train", str(args.ann_train)]
        iv = run_jsonl([PY, f"{ROOT}/bench/ann/faiss_ann.py"] + ivf + common, penv)
        peers.append(("faiss-IndexIVFFlat", iv, "nprobe"))
    label_n = label(n)
    p_at = first_at(pm, "ef")
    for name, peer, key in peers:
        f_at = first_at(peer, key)
        case = f"ann-{label_n}x{dim}-{th}t"
        equal = f_at["recall"] >= 0.95 and p_at["recall"] >= 0.95
        extra = ("" if equal else "NOT AT EQUAL RECALL (a tool's sweep stayed below 0.95): no goal ") + (f"papermap_ef={p_at['ef']} papermap_recall={p_at['recall']:.3f} peer_{key}={f_at[key]} peer_recall={f_at['recall']:.3f} "
                 f"papermap_p99_ms={p_at['p99_ms']:.2f} peer_p99_ms={f_at['p99_ms']:.2f} "
                 f"papermap_build_s={pm[0]['build_s']:.1f} peer_build_s={peer[0]['build_s']:.1f} "
                 f"build_ratio={pm[0]['build_s'] / peer[0]['build_s']:.2f} "
                 f"papermap_build_cpu_s={pm[0]['build_cpu_s']:.1f} peer_build_cpu_s={peer[0]['build_cpu_s']:.1f} "
                 f"build_cpu_ratio={pm[0]['build_cpu_s'] / peer[0]['build_cpu_s']:.2f} "
                 f"papermap_cpu_per_query_ms={p_at['cpu_per_query_ms']:.3f} peer_cpu_per_query_ms={f_at['cpu_per_query_ms']:.3f} "
                 f"query_cpu_ratio={p_at['cpu_per_query_ms'] / f_at['cpu_per_query_ms']:.2f} "
                 f"papermap_index_mb={pm[0]['index_heap_mb']:.0f} (graph; vectors not copied) "
                 f"peer_index_mb={peer[0]['index_rss_mb']:.0f} (vectors + structure) "
                 f"papermap_peak_rss_mb={pm[0]['peak_rss_mb']:.0f} peer_peak_rss_mb={peer[0]['peak_rss_mb']:.0f}")
        rep.line(case, p_at["median_ms"] / 1000, name, f_at["median_ms"] / 1000, extra, 1.5 if equal else None)
        if equal:
            rep.target(f"{case}: build time {pm[0]['build_s']:.1f} s ≤ 2 × {name}'s {peer[0]['build_s']:.1f} s",
                       pm[0]["build_s"] <= 2 * peer[0]["build_s"])
    rep.target(f"ann-{label_n}x{dim}-{th}t: papermap recall@10 {p_at['recall']:.3f} ≥ 0.95", p_at["recall"] >= 0.95)
    rep.target(f"ann-{label_n}x{dim}-{th}t: papermap median {p_at['median_ms']:.2f} ms ≤ 5 ms", p_at["median_ms"] <= 5)
    print("ANN sweeps: " + json.dumps({"papermap": pm} | {name: peer for name, peer, _ in peers}), flush=True)


def label(n):
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


# ---------------------------------------------------------------- RESULTS.md

def write_results(path, text):
    old = open(path).read() if os.path.exists(path) else "# papermap benchmark results\n"
    start = old.find("\n" + SECTION + "\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        nxt = re.search(r"\n## ", old[start + 1 + len(SECTION):])
        end = start + 1 + len(SECTION) + nxt.start() + 1 if nxt else len(old)
        new = old[:start + 1] + text + ("\n" + old[end:] if end < len(old) else "")
    with open(path + ".tmp", "w") as f:
        f.write(new)
    os.replace(path + ".tmp", path)


def section(args, rep, info, started, ended):
    out = [SECTION, ""]
    out.append(f"Written by `bench/compare{' ' + ' '.join(args.argv) if args.argv else ''}` on {started} "
               f"(finished {ended}); replaced on each run. Every figure below is from that one run: medians of "
               f"interleaved repetitions per tool ({', '.join(f'case {c}: {n}' for c, n in args.reps.items())}; "
               f"cases 1 and 3 after one discarded warm-up round; case 5: one process per repetition), "
               f"ratio = papermap / peer (below 1: papermap faster).")
    out.append("")
    out.append("| machine | |")
    out.append("|---|---|")
    for k, v in info.items():
        out.append(f"| {k} | {v} |")
    out.append("")
    out.append("| case | papermap s | peer | peer s | ratio | figures |")
    out.append("|---|---:|---|---:|---:|---|")
    for case, pm, peer, ps, ratio, extra in rep.rows:
        out.append(f"| {case} | {pm:.4g} | {peer} | {ps:.4g} | **{ratio:.2f}** | {extra} |")
    out.append("")
    out.append("Goals (ratio ≤ 1.0 against scikit-learn and chromem-go, ≤ 2.0 against FAISS; targets of the 1M mini-batch case):")
    out.append("")
    for text, ok in rep.goals:
        out.append(f"- {'met' if ok else 'skipped' if ok is None else '**missed**'}: {text}")
    out.append("")
    out.append("Raw lines:")
    out.append("")
    out.append("```")
    out.extend(rep.lines)
    out.append("```")
    notes = os.path.join(ROOT, "bench", "side", "NOTES.md")
    if os.path.exists(notes):
        out.append("")
        out.append(open(notes).read().strip())
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, 2 repetitions: a smoke run (never written to RESULTS.md)")
    ap.add_argument("--repeats", type=int, default=0,
                    help="repetitions per tool (default 5 for case 1, 3 for the others; 2 and 1 with --quick)")
    ap.add_argument("--cases", default="1,2,3,4,5", help="comma-separated subset of 1-7 (6, the map layout against t-SNE, takes hours: run it alone; 7, the approximate index against FAISS, tens of minutes: run it alone)")
    ap.add_argument("--dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "papermap-bench"), help="data directory")
    ap.add_argument("--acm", default=os.path.join(ROOT, "..", "shared", "data", "acm-cr", "acm-dl-docs.jsonl.gz"))
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("--tsne-timeout", type=float, default=3600, help="case 6: seconds before a t-SNE run is stopped (recorded as not finished)")
    ap.add_argument("--ann-n", type=int, default=0, help="case 7: rows (default 100,000 of gen.py's blobs; all of --ann-x)")
    ap.add_argument("--ann-x", default="", help="case 7: a float32 row-major file of unit vectors instead of gen.py's")
    ap.add_argument("--ann-q", default="", help="case 7: its queries (float32 rows); default case 4's 1,000 queries")
    ap.add_argument("--ann-dim", type=int, default=D, help="case 7: dimensions of --ann-x")
    ap.add_argument("--ann-threads", type=int, default=THREADS, help="case 7: threads of every tool, build and queries (default 2)")
    ap.add_argument("--ann-faiss", default="hnsw,ivf", help="case 7: FAISS indexes to run (hnsw, ivf; IndexHNSWFlat's build at 1M x 384 took 46 minutes on 2 cores on 2026-12-07)")
    ap.add_argument("--ann-nlist", type=int, default=0, help="case 7: IVF lists (default 4·√n)")
    ap.add_argument("--ann-train", type=int, default=0, help="case 7: IVF training rows (default 256 per list)")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    args.acm = os.path.abspath(args.acm)
    cases = {int(c) for c in args.cases.split(",") if c}
    if args.quick:
        n100, n1m, nq, nqc = 20_000, 200_000, 200, 20
        args.lexical_limit = 10_000
        many, few = 2, 1
    else:
        n100, n1m, nq, nqc = 100_000, 1_000_000, 1000, 100
        args.lexical_limit = 0
        many, few = 5, 3
    if args.repeats:
        many = few = args.repeats
    args.reps = {1: many, 2: few, 3: few, 4: few, 5: few, 6: 1, 7: 1}
    args.ann_n = args.ann_n or (0 if args.ann_x else n100)
    os.makedirs(args.dir, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    t0 = time.time()

    log("building the Go workers")
    bindir = os.path.join(args.dir, "bin")
    os.makedirs(bindir, exist_ok=True)
    args.side, args.fit = os.path.join(bindir, "papermap-side"), os.path.join(bindir, "papermap-lexical-fit")
    subprocess.run(["go", "build", "-o", args.side, "./bench/side"], cwd=ROOT, check=True)
    subprocess.run(["go", "build", "-o", args.fit, "./bench/lexical/fit"], cwd=ROOT, check=True)
    args.ann = os.path.join(bindir, "papermap-ann")
    subprocess.run(["go", "build", "-o", args.ann, "./bench/ann"], cwd=ROOT, check=True)

    info = {
        "date (`date -u`)": sh("date -u"),
        "CPU (`lscpu`)": sh("lscpu | grep 'Model name' | sed 's/.*: *//'") +
        (" — AVX-512" if "avx512f" in sh("grep -m1 flags /proc/cpuinfo") else " — no AVX-512") +
        (", AVX2+FMA" if "avx2" in sh("grep -m1 flags /proc/cpuinfo") else ""),
        "`nproc`": sh("nproc"),
        "load average at start": loadavg(),
        "Go": sh("go version"),
        "threads": f"{THREADS} for every tool (GOMAXPROCS; threadpoolctl, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, faiss.omp_set_num_threads)",
    }
    log("probing OpenBLAS kernels")
    best, gflops, arch, dead = probe_coretype(1 if args.quick else 3)
    probe = ", ".join(f"{c or 'default'} ({arch[c]}) {v:.1f}" for c, v in sorted(gflops.items(), key=lambda kv: -kv[1]))
    probe += "".join(f"; {c}: {why}" for c, why in dead.items())
    print(f"OPENBLAS_CORETYPE={best or '(unset)'} chosen: float32 GEMM 100k×384·384×50, median GFLOP/s: {probe}", flush=True)
    env_sk = env_fa = peer_env(best)
    hello = Worker("peer", [PY, f"{ROOT}/bench/side/peer.py"], env_fa)
    h = hello.call(op="hello")
    hello.close()
    blas = "; ".join(f"{b['internal_api']} {b.get('version') or ''} {b.get('architecture') or ''} {b.get('threading_layer') or ''} "
                     f"{b['num_threads']} threads ({os.path.basename(b['filepath'] or '')})" for b in h["blas"])
    print(f"peers: numpy {h['numpy']}, scikit-learn {h['sklearn']}, FAISS {h['faiss']} ({h.get('faiss_module')}); "
          f"threadpoolctl: {blas}", flush=True)
    info["peers"] = f"/usr/bin/python3 {platform.python_version()}, numpy {h['numpy']}, scikit-learn {h['sklearn']}, FAISS {h['faiss']}"
    info["peer BLAS (threadpoolctl)"] = blas
    info["OPENBLAS_CORETYPE"] = f"{best or '(unset: OpenBLAS’s own choice)'}; probe, median GFLOP/s: {probe}"
    info["OMP_WAIT_POLICY"] = "PASSIVE for every Python peer (faster for each here; see the notes below)"

    rep = Report()
    if 1 in cases:
        log("case 1: k-means, 20 Lloyd iterations")
        case_lloyd(args, rep, env_sk, env_fa, n100)
    if 2 in cases:
        log("case 2: mini-batch k-means")
        case_minibatch(args, rep, env_sk, env_fa, n1m)
    if 3 in cases:
        log("case 3: PCA")
        case_pca(args, rep, env_sk, n100)
    if 4 in cases:
        log("case 4: exact top-10 search")
        case_search(args, rep, env_fa, n100, nq, nqc)
    if 5 in cases:
        log("case 5: lexical embedder")
        case_lexical(args, rep, env_sk)
    if 6 in cases:
        log("case 6: map layout against scikit-learn's t-SNE")
        case_layout(args, rep)
    if 7 in cases:
        log("case 7: approximate index (HNSW) against FAISS HNSW and IVF")
        case_ann(args, rep, env_fa)
    info["load average at end"] = loadavg()
    ended = time.strftime("%H:%M:%S UTC", time.gmtime())
    info["wall time of the run"] = f"{(time.time() - t0) / 60:.1f} min"
    missed = [t for t, ok in rep.goals if ok is False]
    print(f"{len(missed)} goal(s) missed" + "".join(f"\n  {t}" for t in missed), flush=True)
    if args.quick or args.no_write:
        log("not writing bench/RESULTS.md (" + ("--quick" if args.quick else "--no-write") + ")")
    else:
        write_results(os.path.join(ROOT, "bench", "RESULTS.md"), section(args, rep, info, started, ended))
        log("wrote bench/RESULTS.md")


if __name__ == "__main__":
    main()
