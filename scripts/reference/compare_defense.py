"""Compares MergeGuard's int8 defense figures with the fp32 transformers reference, per configuration and metric,
and flags every difference above the tolerance (issue 7: within 3 points). Exits 1 when any is flagged or missing.

    .venv/bin/python scripts/reference/compare_defense.py [--reference bench/defense-reference/reference.json]
        [--swift bench/defense-reference/swift-int8.json] [--tolerance 0.03] [--markdown]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from defense_configurations import CONFIGURATIONS, METRICS  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FOLDER = os.path.join(REPO, "bench", "defense-reference")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reference", default=os.path.join(FOLDER, "reference.json"))
    p.add_argument("--swift", default=os.path.join(FOLDER, "swift-int8.json"))
    p.add_argument("--tolerance", type=float, default=0.03)
    p.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    args = p.parse_args()
    reference = json.load(open(args.reference))["configurations"]
    swift = json.load(open(args.swift))["configurations"]
    flagged, missing = [], []
    header = ["configuration"] + [f"{m} fp32 / int8 (Δ)" for m in METRICS]
    lines = []
    for name in CONFIGURATIONS:
        if name not in reference or name not in swift:
            missing.append(name)
            continue
        cells = [name]
        for metric in METRICS:
            a, b = reference[name]["metrics"][metric], swift[name]["metrics"][metric]
            delta = b - a
            mark = ""
            if abs(delta) > args.tolerance + 1e-9:
                flagged.append((name, metric, a, b))
                mark = " **!**" if args.markdown else " !"
            cells.append(f"{a:.2f} / {b:.2f} ({delta:+.2f}){mark}")
        lines.append(cells)
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for cells in lines:
            print("| " + " | ".join(cells) + " |")
    else:
        widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]
        for row in [header] + lines:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print()
    for name in missing:
        print(f"missing: {name} (not in both files)")
    for name, metric, a, b in flagged:
        print(f"over {args.tolerance:.2f}: {name} {metric}: fp32 {a:.2f}, int8 {b:.2f} ({b - a:+.2f})")
    if not flagged and not missing:
        print(f"every metric of every configuration within {args.tolerance:.2f}")
    return 1 if flagged or missing else 0


if __name__ == "__main__":
    sys.exit(main())
