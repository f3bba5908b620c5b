"""Write the benchmark data shared by main.go and compare.py: blobs-N.f32 (N×384
float32, row-major, rows normalised: 50 Gaussian blobs, unit-variance noise of
scale NOISE around centres drawn from N(0, 1)) and init-N.f32 (its first 50
rows, the common initial centroids). A NOISE other than 5 adds "-noiseNOISE" to
the names.

Usage: /usr/bin/python3 gen.py N DIR [NOISE]"""
import sys
import numpy as np

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/papermap-bench"
    noise = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    tag = "" if noise == 5.0 else f"-noise{sys.argv[3]}"
    d, k = 384, 50
    rng = np.random.default_rng(42)
    centres = rng.standard_normal((k, d))
    x = np.empty((n, d), dtype=np.float32)
    step = 100_000
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        lab = np.arange(lo, hi) % k
        v = centres[lab] + noise * rng.standard_normal((hi - lo, d))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        x[lo:hi] = v.astype(np.float32)
    import os
    os.makedirs(out, exist_ok=True)
    x.tofile(f"{out}/blobs-{n}{tag}.f32")
    x[:k].tofile(f"{out}/init-{n}{tag}.f32")
    print(f"{out}/blobs-{n}{tag}.f32", x.shape)

if __name__ == "__main__":
    main()
