"""Read the JSON lines of main.go (papermap) and compare.py (scikit-learn,
FAISS) and print a Markdown table of medians and ratios."""
import json
import sys

rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        rows.setdefault((m["task"], m["n"]), {})[m["tool"]] = m

print("| task | n | papermap s | scikit-learn s | FAISS s | papermap/sklearn | papermap/FAISS | notes |")
print("|---|---|---|---|---|---|---|---|")
for (task, n), tools in sorted(rows.items(), key=lambda kv: (str(kv[0][1]), kv[0][0])):
    g, s, f = (tools.get(t, {}).get("seconds") for t in ("papermap", "sklearn", "faiss"))
    fmt = lambda v: "" if v is None else f"{v:.3f}"
    ratio = lambda a, b: "" if a is None or b is None else f"{a / b:.2f}"
    notes = []
    for t in ("papermap", "sklearn", "faiss"):
        m = tools.get(t)
        if m and "inertia" in m:
            notes.append(f"{t} inertia {m['inertia']:.1f}" + (f" ({m['iters']} it)" if "iters" in m else ""))
        if m and "explained" in m:
            notes.append(f"{t} var {m['explained']:.5f}")
        if m and "value" in m:
            notes.append(f"{t} {m['value']:.4f}")
    print(f"| {task} | {n} | {fmt(g)} | {fmt(s)} | {fmt(f)} | {ratio(g, s)} | {ratio(g, f)} | {'; '.join(notes)} |")
