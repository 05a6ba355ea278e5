#!/usr/bin/env python3
"""Draws the dashboard's panels (the JSON snapshot.ts writes) as one PNG in Grafana's dark colours.

Usage: render.py PANELS_JSON OUT_PNG. Each panel sits where its gridPos puts it on the 24-column grid;
a row panel is a heading; a time-series panel has its series as lines (stacked areas when the panel
stacks), its unit on the y axis and its legend below."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

BG, PANEL, TEXT, GRID = "#111217", "#181b1f", "#ccccdc", "#2c3235"
COLORS = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d", "#fade2a", "#c4162a", "#1f60c4"]
UNIT_STEPS = {"bytes": (1024, ["B", "KiB", "MiB", "GiB"]), "Bps": (1024, ["B/s", "KiB/s", "MiB/s", "GiB/s"]),
              "short": (1000, ["", "K", "M", "G"]), "ops": (1000, [" ops/s", "K ops/s", "M ops/s", "G ops/s"])}


def fmt(unit):
    def f(v, _pos=None):
        if unit == "s":
            return f"{v * 1000:.0f} ms" if 0 < abs(v) < 1 else f"{v:g} s"
        if unit == "ms":
            return f"{v:g} ms"
        base, names = UNIT_STEPS.get(unit, UNIT_STEPS["short"])
        i = 0
        while abs(v) >= base and i < len(names) - 1:
            v, i = v / base, i + 1
        return f"{v:.3g}{names[i]}"
    return FuncFormatter(f)


def minutes(t, _pos=None):
    return f"{int(t // 60)}:{int(t % 60):02d}"


def main(src, out):
    data = json.load(open(src))
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in data["panels"])
    unit_h = 0.36
    fig = plt.figure(figsize=(20, rows * unit_h + 0.6), facecolor=BG)
    top = 1 - 0.6 / (rows * unit_h + 0.6)
    fig.text(0.01, 1 - 0.25 / (rows * unit_h + 0.6), data["title"], color=TEXT, fontsize=15, weight="bold", va="center")
    for p in data["panels"]:
        g = p["gridPos"]
        left, width = g["x"] / 24, g["w"] / 24
        bottom = top * (1 - (g["y"] + g["h"]) / rows)
        height = top * g["h"] / rows
        if p["type"] == "row":
            fig.text(left + 0.005, bottom + height / 2, p["title"], color=TEXT, fontsize=12, weight="bold", va="center")
            continue
        ax = fig.add_axes([left + 0.035, bottom + height * 0.30, width - 0.045, height * 0.56], facecolor=PANEL)
        fig.patches.append(plt.Rectangle((left + 0.002, bottom + 0.004), width - 0.004, height - 0.008, transform=fig.transFigure,
                                         facecolor=PANEL, edgecolor=GRID, zorder=-1))
        fig.text(left + 0.008, bottom + height * 0.92, p["title"], color=TEXT, fontsize=10, weight="bold", va="center")
        series = sorted(p["series"], key=lambda s: s["label"])
        if not series:
            ax.text(0.5, 0.5, "No data", color="#8e8e8e", ha="center", va="center", transform=ax.transAxes)
        bottoms = {}
        for i, s in enumerate(series):
            c = COLORS[i % len(COLORS)]
            v = [x if x is not None else float("nan") for x in s["v"]]
            if p["stacked"]:
                base = [bottoms.get(t, 0) for t in s["t"]]
                stacked = [b + (0 if x != x else x) for b, x in zip(base, v)]
                ax.fill_between(s["t"], base, stacked, color=c, alpha=0.45, linewidth=0)
                ax.plot(s["t"], stacked, color=c, linewidth=1.4, label=s["label"])
                bottoms.update(zip(s["t"], stacked))
            else:
                ax.plot(s["t"], v, color=c, linewidth=1.4, label=s["label"])
        ax.set_xlim(0, data["end"] - data["start"])
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(fmt(p["unit"]))
        ax.xaxis.set_major_formatter(FuncFormatter(minutes))
        ax.tick_params(colors=TEXT, labelsize=7.5, length=0)
        ax.grid(color=GRID, linewidth=0.6)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if series:
            ncol = max(1, min(len(series), int(g["w"] * 1.1 // max(1, max(len(s["label"]) for s in series) * 0.12 + 1))))
            leg = ax.legend(loc="upper left", bbox_to_anchor=(-0.03, -0.14), ncol=ncol, frameon=False, fontsize=7, labelcolor=TEXT,
                            handlelength=1.2, columnspacing=1.0, borderaxespad=0)
            for line in leg.get_lines():
                line.set_linewidth(3)
    fig.text(0.99, 0.004, "minutes since the start of the run", color="#8e8e8e", fontsize=8, ha="right", va="bottom")
    fig.savefig(out, dpi=72, facecolor=BG, pil_kwargs={"optimize": True})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
