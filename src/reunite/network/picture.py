"""The network as a picture (PNG, matplotlib's object API with the Agg canvas, no pyplot): what the
demo writes beside the reports.  Not imported by :mod:`reunite.network` (it loads matplotlib).

People are drawn at :func:`reunite.network.graph.layout`'s positions (a column per role, the
children's flow left to right), coloured by role; the transfers are arrows (wider for more
transfers between the same two people), the relations thin dashed lines.  No names: codes only.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .analysis import Network
from .graph import ROLE_COLOURS, ROLE_ORDER, layout

__all__ = ["draw_png"]


def draw_png(net: Network, path: str | Path, *, title: str = "") -> Path:
    """The network as a PNG (matplotlib, no names): people at :func:`layout`'s positions coloured
    by role, transfers as arrows, relations as thin dashed lines, a legend of the roles."""
    pos = layout(net)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    xs = [x for x, _ in pos.values()] or [0.0]
    ys = [y for _, y in pos.values()] or [0.0]
    fig = Figure(figsize=(max(6.0, (max(xs) - min(xs)) / 70 + 3), max(4.0, (max(ys) - min(ys)) / 50 + 2)),
                 dpi=110)
    ax = fig.subplots()
    for r in net.relations:
        (x0, y0), (x1, y1) = pos[r.person], pos[r.other]
        ax.plot([x0, x1], [-y0, -y1], ls=(0, (2, 3)), lw=0.5, color="#AAAAAA", zorder=1)
    for t, n in Counter((t.sender, t.receiver) for t in net.transfers if t.sender and t.receiver).items():
        (x0, y0), (x1, y1) = pos[t[0]], pos[t[1]]
        ax.annotate("", xy=(x1, -y1), xytext=(x0, -y0), zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": "#6A3D9A", "lw": 0.6 + 0.5 * n, "shrinkA": 7,
                                "shrinkB": 7, "connectionstyle": "arc3,rad=0.08"})
    for code, (x, y) in pos.items():
        role = net.people[code].role
        ax.scatter([x], [-y], s=180, color=ROLE_COLOURS.get(role, "#BBBBBB"), edgecolors="#333333", linewidths=0.6,
                   zorder=3)
        ax.text(x, -y - 17, code, ha="center", va="top", fontsize=6, zorder=4)
    roles = [r for r in ROLE_ORDER if any(p.role == r for p in net.people.values())]
    ax.legend(handles=[Line2D([], [], marker="o", ls="", color=ROLE_COLOURS[r], markeredgecolor="#333333", label=r)
                       for r in roles] + [Line2D([], [], color="#6A3D9A", label="transfer of a child"),
                                          Line2D([], [], color="#AAAAAA", ls="--", label="relation")],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=min(6, len(roles) + 2), fontsize=7, frameon=False)
    ax.set_title(title or f"{net.investigation}: {len(net.people)} people, {len(net.transfers)} transfers",
                 fontsize=9)
    ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path)
    return path

