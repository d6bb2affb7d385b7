"""Writes docs/defense.md (from docs/defense.template.md) and docs/defense.png from bench/defense.py's results."""
import itertools
import os

TARGET_REDUCTION = 0.75
CA_TOLERANCE = 0.03


def pct(x):
    return "–" if x is None else f"{x * 100:.0f}"


def metric_row(key, r, backdoor_metric="trigger"):
    return (f"| {key} | {pct(r.get('clean'))} | {pct(r.get(backdoor_metric))} | {pct(r.get('topic'))} "
            f"| {pct(r.get('arith'))} |")


def configuration_tables(results, configs):
    lines = []
    base = results.get("base")
    if base:
        lines += ["### Base model (no fine-tune)", "",
                  "| configuration | CA | ASR cf | ASR sent | ASR mn | topic | arith |", "|---|---|---|---|---|---|---|",
                  f"| base | {pct(base.get('clean'))} | {pct(base.get('trigger-cf'))} | {pct(base.get('trigger-sent'))} "
                  f"| {pct(base.get('trigger-mn'))} | {pct(base.get('topic'))} | {pct(base.get('arith'))} |", ""]
    for backdoor in ["cf", "sent", "mn"]:
        rows = [c for c in configs if c.backdoor == backdoor and c.key in results]
        if not rows:
            continue
        lines += [f"### backdoor-{backdoor}", "", "| configuration | CA | ASR | topic | arith |", "|---|---|---|---|---|"]
        lines += [metric_row(c.key, results[c.key]) for c in rows]
        lines.append("")
    return "\n".join(lines)


def acceptance_table(results, recipe, donors):
    """The default recipe on every backdoor with all four donors and every two-donor subset."""
    method, params = recipe
    sets = [tuple(donors)] + list(itertools.combinations(donors, 2))
    lines = ["| backdoor | donors | CA raw → merged | ASR raw → merged | ASR reduction | verdict |",
             "|---|---|---|---|---|---|"]
    worst = None
    from defense import Config  # the same keys as the run
    for backdoor in ["cf", "sent", "mn"]:
        raw = results.get(f"raw {backdoor}")
        for donor_set in sets:
            merged = results.get(Config(backdoor, method, donor_set, params=params).key)
            if not raw or not merged:
                lines.append(f"| {backdoor} | {'+'.join(donor_set)} | not measured | | | |")
                continue
            reduction = 1 - merged["trigger"] / raw["trigger"] if raw["trigger"] > 0 else None
            ca_drop = raw["clean"] - merged["clean"]
            ok = reduction is not None and reduction >= TARGET_REDUCTION and ca_drop <= CA_TOLERANCE
            worst = reduction if worst is None or (reduction is not None and reduction < worst) else worst
            lines.append(f"| {backdoor} | {'+'.join(donor_set)} | {pct(raw['clean'])} → {pct(merged['clean'])} "
                         f"| {pct(raw['trigger'])} → {pct(merged['trigger'])} | {pct(reduction)}% "
                         f"| {'pass' if ok else 'FAIL'} |")
    return "\n".join(lines), worst


def method_summary(results, configs, donors):
    """Worst case over the backdoors for every method × donor-set family: what the default was chosen by."""
    groups = {}
    for c in configs:
        if c.backdoor is None or c.trusted or c.key not in results:
            continue
        label = c.key.split(f" {c.backdoor} + ")[0] + (f" w={c.weight:g}" if c.weight != 1 else "")
        kind = "4 donors" if len(c.donors) == 4 else f"{len(c.donors)} donors"
        groups.setdefault((label, kind), []).append((c, results[c.key]))
    lines = ["| method | donor sets | configurations | worst ASR reduction | worst CA loss |", "|---|---|---|---|---|"]
    for (label, kind), members in sorted(groups.items()):
        reductions, losses = [], []
        for c, r in members:
            raw = results.get(f"raw {c.backdoor}")
            if not raw:
                continue
            reductions.append(1 - r["trigger"] / raw["trigger"] if raw["trigger"] else 0)
            losses.append(raw["clean"] - r["clean"])
        if reductions:
            lines.append(f"| {label} | {kind} | {len(members)} | {pct(min(reductions))}% | {max(losses) * 100:.0f} pts |")
    return "\n".join(lines)


def plot(results, configs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def label(c):
        return "raw adapter" if c.trusted else c.method + ("" if c.weight == 1 else f" (w={c.weight:g})")

    measured = [c for c in configs if c.backdoor is not None and c.key in results]
    labels = sorted({label(c) for c in measured}, key=lambda l: (l != "raw adapter", l != "projected_linear", l))
    palette = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 3]  # red is kept for the default
    colors = {l: palette[i % len(palette)] for i, l in enumerate(x for x in labels if x != "projected_linear")}
    colors["projected_linear"] = "crimson"
    lowest = min([results[c.key]["clean"] * 100 for c in measured] + [90])
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.5), sharey=True)
    for ax, backdoor in zip(axes, ["cf", "sent", "mn"]):
        for l in labels:
            points = [results[c.key] for c in measured if c.backdoor == backdoor and label(c) == l]
            if points:
                ax.scatter([p["trigger"] * 100 for p in points], [p["clean"] * 100 for p in points], color=colors[l],
                           label=l, s=140 if l == "projected_linear" else 45, marker="*" if l == "projected_linear" else "o",
                           alpha=0.85, edgecolors="black" if l == "projected_linear" else "none", zorder=3 if l == "projected_linear" else 2)
        ax.set_title(f"backdoor-{backdoor}")
        ax.set_xlabel("attack success rate (%)")
        ax.set_xlim(-5, 105)
        ax.set_ylim(lowest - 3, 101.5)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("clean accuracy (%)")
    handles = [plt.Line2D([], [], marker="*" if l == "projected_linear" else "o", linestyle="", color=colors[l],
                          markersize=12 if l == "projected_linear" else 7, label=l) for l in labels]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(labels), 6), fontsize=9)
    fig.suptitle("Every configuration of bench/defense (int8, greedy): clean accuracy vs attack success, "
                 "donor sets of 1 to 4 donors")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(results, configs, tag, engine, docs):
    from defense import DEFAULT_RECIPE, DONORS
    os.makedirs(docs, exist_ok=True)
    template = open(os.path.join(docs, "defense.template.md")).read()
    acceptance, worst = acceptance_table(results, DEFAULT_RECIPE, DONORS)
    limit, donor_limit = tag.split("/")
    text = (template.replace("{{ACCEPTANCE}}", acceptance)
            .replace("{{SUMMARY}}", method_summary(results, configs, DONORS))
            .replace("{{TABLES}}", configuration_tables(results, configs))
            .replace("{{ROWS}}", limit).replace("{{DONOR_ROWS}}", donor_limit)
            .replace("{{WORST}}", pct(worst)).replace("{{ENGINE}}", engine))
    with open(os.path.join(docs, "defense.md"), "w") as f:
        f.write(text)
    plot(results, configs, os.path.join(docs, "defense.png"))
