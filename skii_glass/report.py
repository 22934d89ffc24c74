"""Figures, CSV tables, ``report.md`` and ``summary.json`` for the reproduced study.

:func:`write_report` takes the :class:`~skii_glass.study.StudyResults` of a run plus a few
facts about the simulation (temperature, N, tau_alpha, ...) and writes, into one folder:

* ``figures/fig4a_pearson.png`` ... ``figures/fig7_regression.png``: the paper's Figs. 4-7,
  each with our result beside the paper's (the paper's numbers come from
  :mod:`skii_glass.reference`);
* ``tables/*.csv``: every table of the study, per configuration and averaged;
* ``report.md``: our numbers beside the paper's, with generated sentences that say where
  they agree and differ, and why;
* ``summary.json``: the headline numbers for machines.

Figures use matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .reference import DESCRIPTOR_LABELS, DESCRIPTORS, PaperReference, paper_reference
from .study import PROTOCOL_METHOD, REGRESSION_METHODS, StudyResults

__all__ = ["write_report", "write_figures", "build_summary", "METHOD_LABELS", "FIGURES"]

METHOD_LABELS: dict[str, str] = {
    "ii_supervised": "Info. imbalance (supervised)",
    "ii_supervised_paper": "Info. imbalance (supervised, paper protocol)",
    "ii_unsupervised": "Info. imbalance (unsupervised)",
    "lasso": "Lasso selection",
    "random": "Random selection",
    "sfs": "Sequential FS (sklearn)",
    "mutual_info": "Mutual information SelectKBest",
}
_METHOD_STYLE = {
    "ii_supervised": ("tab:blue", "^"),
    "ii_supervised_paper": ("tab:cyan", "<"),
    "ii_unsupervised": ("tab:red", "o"),
    "lasso": ("tab:green", "v"),
    "random": ("black", "s"),
    "sfs": ("tab:purple", "D"),
    "mutual_info": ("tab:orange", "P"),
}
# Colours/markers as in the paper's Fig. 4.
_DESC_STYLE = {
    "u": ("tab:blue", "o"),
    "theta": ("tab:orange", "s"),
    "psi6": ("tab:green", "v"),
    "rho": ("tab:red", "^"),
    "phi": ("tab:purple", "D"),
    "z": ("tab:brown", "*"),
}
# tau_alpha^CR (sweeps) of ka2d from an independent C implementation (doc/physics_ka2d.md),
# keyed by (T, delta); N = 1290, k = 2 pi, cage neighbours r < 1.4 sigma_ab.
_KA2D_TAU_CR = {(2.0, 0.1): 889, (1.0, 0.1): 2920, (1.0, 0.2): 1350, (0.7, 0.1): 8180,
                (0.6, 0.1): 14300, (0.6, 0.2): 8310, (0.5, 0.1): 40700}
#: Written when :func:`write_report` gets inherent-structure results beside the thermal ones.
STRUCTURE_FIGURE = "fig4a_thermal_vs_inherent.png"
#: Written when :func:`write_report` gets the relaxation curves (simulated runs).
RELAXATION_FIGURE = "relaxation_fs.png"
#: Figure files written by :func:`write_report`.
FIGURES: tuple[str, ...] = (
    "fig4a_pearson.png",
    "fig4b_imbalance_plane.png",
    "fig4cd_inverse_imbalance.png",
    "fig5_supervised.png",
    "fig6_unsupervised.png",
    "fig7_regression.png",
)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _savefig(fig, path: Path) -> None:
    tmp = path.with_name(path.stem + ".tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    os.replace(tmp, path)


def _descriptor_curves(df: pd.DataFrame, value: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{descriptor: (L, value)} for the descriptors present with a coarse-graining length."""
    out = {}
    for d in DESCRIPTORS:
        sub = df[(df["descriptor"] == d) & df["L"].notna()].sort_values("L")
        if len(sub):
            out[d] = (sub["L"].to_numpy(), sub[value].to_numpy())
    return out


def _paper_frame(ref: PaperReference) -> pd.DataFrame:
    names = ref.feature_names
    fb = ref.fig4b()
    return pd.DataFrame(
        {
            "feature": names,
            "descriptor": [n.rpartition("_L")[0] for n in names],
            "L": [float(n.rpartition("_L")[2]) for n in names],
            "abs_mean_r": ref.abs_pearson(),
            "delta_x_to_p": fb["delta_x_to_p"],
            "delta_p_to_x": fb["delta_p_to_x"],
        }
    )


def _label(d: str) -> str:
    return DESCRIPTOR_LABELS.get(d, d)


# ----------------------------------------------------------------------------- figures


def _bottom_legend(fig, ax, ncol: int | None = None) -> None:
    """One legend for all panels, below them (it never hides a curve)."""
    handles, labels = ax.get_legend_handles_labels()
    ncol = ncol or len(labels)
    fig.legend(handles, labels, loc="upper center", ncol=ncol, fontsize=9,
               bbox_to_anchor=(0.5, 0.0), frameon=False)


def _pearson_panels(panels, title: str, path: Path) -> None:
    """Side-by-side Fig. 4a curves (|r| against L per descriptor) on a shared y axis."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 4.6), sharey=True)
    for ax, (df, panel_title) in zip(axes, panels, strict=True):
        for d, (L, v) in _descriptor_curves(df, "abs_mean_r").items():
            c, m = _DESC_STYLE[d]
            ax.plot(L, v, marker=m, color=c, label=_label(d))
        ax.set_xlabel("coarse-graining length L (σ_AA)")
        ax.set_title(panel_title)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("|Pearson r| with propensity\n(|mean over configurations|)")
    _bottom_legend(fig, axes[0])
    fig.suptitle(title)
    _savefig(fig, path)
    plt.close(fig)


def _fig4a(ours: pd.DataFrame, paper: pd.DataFrame, path: Path) -> None:
    _pearson_panels(((ours, "this run"), (paper, "paper (Sharma et al.)")),
                    "Fig. 4a: linear correlation of each descriptor with the propensity", path)


def _plane_limits(*frames: pd.DataFrame) -> tuple[float, float]:
    """Axis range covering every frame's points (paired panels share it)."""
    lo = min(float(min(df["delta_x_to_p"].min(), df["delta_p_to_x"].min())) for df in frames)
    hi = max(float(max(df["delta_x_to_p"].max(), df["delta_p_to_x"].max())) for df in frames)
    return max(0.0, math.floor(lo * 20) / 20 - 0.05), max(1.05, math.ceil(hi * 20) / 20 + 0.02)


def _plane(ax, df: pd.DataFrame, legend: bool, limits: tuple[float, float]) -> None:
    for d in DESCRIPTORS:
        sub = df[df["descriptor"] == d]
        if len(sub):
            c, m = _DESC_STYLE[d]
            ax.scatter(sub["delta_x_to_p"], sub["delta_p_to_x"], color=c, marker=m, s=40,
                       label=_label(d), alpha=0.85, edgecolors="none")
    other = df[~df["descriptor"].isin(DESCRIPTORS)]
    if len(other):
        ax.scatter(other["delta_x_to_p"], other["delta_p_to_x"], color="gray", s=25,
                   label="other features")
    lo, hi = limits
    ax.plot([lo, hi], [lo, hi], color="gray", lw=1, ls="--", label="Δ(x→p) = Δ(p→x)")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel("Δ(x → p)")
    ax.set_ylabel("Δ(p → x)")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=7, loc="lower right")


def _fig4b(ours: pd.DataFrame, paper: pd.DataFrame, path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    limits = _plane_limits(ours, paper)
    _plane(axes[0], ours, legend=True, limits=limits)
    axes[0].set_title("this run")
    _plane(axes[1], paper, legend=False, limits=limits)
    axes[1].set_title("paper (Sharma et al.)")
    fig.suptitle("Fig. 4b: information-imbalance plane, one point per feature "
                 "(mean over configurations)")
    _savefig(fig, path)
    plt.close(fig)


def _fig4cd(ours: pd.DataFrame, paper: pd.DataFrame, path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True, sharey="row")
    for col, (df, title) in enumerate(((ours, "this run"), (paper, "paper (Sharma et al.)"))):
        df = df.assign(inv_xp=1.0 / df["delta_x_to_p"], inv_px=1.0 / df["delta_p_to_x"])
        for row, (key, lab) in enumerate((("inv_xp", "1 / Δ(x → p)"),
                                          ("inv_px", "1 / Δ(p → x)"))):
            ax = axes[row, col]
            for d, (L, v) in _descriptor_curves(df, key).items():
                c, m = _DESC_STYLE[d]
                ax.plot(L, v, marker=m, color=c, label=_label(d))
            ax.set_ylabel(lab)
            ax.grid(alpha=0.3)
            ax.set_title(f"{'c' if row == 0 else 'd'}) {title}", fontsize=10)
            if row == 1:
                ax.set_xlabel("coarse-graining length L (σ_AA)")
    _bottom_legend(fig, axes[0, 0])
    fig.suptitle("Figs. 4c-d: inverse information imbalance against L "
                 "(larger = more informative)")
    _savefig(fig, path)
    plt.close(fig)


def _path_panels(axes, ours: pd.DataFrame, paper: Mapping[str, np.ndarray], *, objective_key,
                 obj_label, x_label, y_label, plane_keys, log=False) -> None:
    d = ours["n_features"].to_numpy()
    ax = axes[0]
    ax.errorbar(d, ours[objective_key], yerr=ours[objective_key + "_std"], marker="o",
                color="tab:blue", capsize=3, label=f"{obj_label} (this run)")
    dp = np.arange(1, len(paper[objective_key]) + 1)
    ax.plot(dp, paper[objective_key], marker="o", mfc="none", ls="--", color="tab:blue",
            label=f"{obj_label} (paper)")
    if objective_key == "delta_subset_to_target":
        ax.errorbar(d, ours["delta_target_to_subset"], yerr=ours["delta_target_to_subset_std"],
                    marker="s", color="tab:orange", capsize=3, label="Δ(p → X_d) (this run)")
        ax.plot(dp, paper["delta_target_to_subset"], marker="s", mfc="none", ls="--",
                color="tab:orange", label="Δ(p → X_d) (paper)")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("number of features, d")
    ax.set_ylabel("information imbalance")
    ax.set_xticks(range(1, max(int(d.max()), len(dp)) + 1, 2))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
              frameon=False)

    ax = axes[1]
    kx, ky = plane_keys
    ax.plot([0, 1], [0, 1], color="gray", lw=1, ls="--")
    ax.plot(ours[kx], ours[ky], "-o", color="tab:blue", label="this run")
    ax.plot(paper[kx], paper[ky], "--o", mfc="none", color="tab:gray", label="paper")
    for i, (x, y) in enumerate(zip(ours[kx], ours[ky], strict=True)):
        if i in (0, 1, 2, 4, 9) or i == len(ours) - 1:
            ax.annotate(str(i + 1), (x, y), textcoords="offset points", xytext=(4, 4),
                        fontsize=8, color="tab:blue")
    for i, (x, y) in enumerate(zip(paper[kx], paper[ky], strict=True)):
        if i < 3:
            ax.annotate(str(i + 1), (x, y), textcoords="offset points", xytext=(4, -10),
                        fontsize=8, color="tab:gray")
    hi = max(1.05, float(np.nanmax(np.r_[ours[kx], ours[ky]])) + 0.06)
    ax.set_xlim(-0.02, hi)
    ax.set_ylim(-0.02, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="labels = d", title_fontsize=8)


def _fig5(ours: pd.DataFrame, ref: PaperReference, path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    _path_panels(axes, ours, ref.fig5(), objective_key="delta_subset_to_target",
                 obj_label="Δ(X_d → p)", x_label="Δ(X_d → p)", y_label="Δ(p → X_d)",
                 plane_keys=("delta_subset_to_target", "delta_target_to_subset"))
    axes[0].set_title("a) supervised greedy selection (mean ± sd over configurations)",
                      fontsize=10)
    axes[1].set_title("b) imbalance plane along the path", fontsize=10)
    fig.suptitle("Fig. 5: supervised information-imbalance selection")
    _savefig(fig, path)
    plt.close(fig)


def _fig6(ours: pd.DataFrame, ref: PaperReference, path: Path) -> None:
    plt = _plt()
    # Studies cached by earlier versions named the unsupervised columns *_target*.
    ours = ours.rename(columns={"delta_subset_to_target": "delta_subset_to_full",
                                "delta_target_to_subset": "delta_full_to_subset"})
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    _path_panels(axes, ours, ref.fig6(), objective_key="objective",
                 obj_label="[Δ(X_d→X)+Δ(X→X_d)]/√2", x_label="Δ(X_d → X_full)",
                 y_label="Δ(X_full → X_d)",
                 plane_keys=("delta_subset_to_full", "delta_full_to_subset"), log=True)
    axes[0].set_title("a) unsupervised greedy selection (mean ± sd over configurations)",
                      fontsize=10)
    axes[1].set_title("b) imbalance plane along the path", fontsize=10)
    fig.suptitle("Fig. 6: unsupervised information-imbalance selection (target: all features)")
    _savefig(fig, path)
    plt.close(fig)


def _fig7(summary: pd.DataFrame, ref: PaperReference, path: Path) -> None:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    ax = axes[0]
    present = [m for m in REGRESSION_METHODS if (summary["method"] == m).any()]
    for i, m in enumerate(present):
        sub = summary[summary["method"] == m].sort_values("d")
        if len(sub):
            c, mk = _METHOD_STYLE[m]
            # Small horizontal offsets keep overlapping error bars apart.
            shift = 0.07 * (i - (len(present) - 1) / 2)
            extra = m in ("sfs", "mutual_info")
            ax.errorbar(sub["d"] + shift, sub["mean"], yerr=sub["std"], marker=mk, color=c,
                        capsize=2, label=METHOD_LABELS[m], ls="--" if extra else "-",
                        alpha=0.8 if extra else 1.0)
    ax.set_title("this run (no leakage; random = mean of many draws; bars: sd over "
                 "held-out configurations)", fontsize=9)
    ax.set_ylabel("|Pearson(predicted, true propensity)|\n(held-out configuration)")
    ax = axes[1]
    for m in ref.fig7_methods:
        c, mk = _METHOD_STYLE[m]
        mean = ref.fig7_mean(m)
        ax.errorbar(np.arange(1, 16), mean, yerr=ref.fig7_std(m), marker=mk, color=c,
                    capsize=3, label=METHOD_LABELS[m])
    ax.set_title("paper (Sharma et al.)", fontsize=10)
    for ax in axes:
        ax.set_xlabel("number of features, d")
        ax.grid(alpha=0.3)
    _bottom_legend(fig, axes[0], ncol=3)
    fig.suptitle("Fig. 7: leave-one-configuration-out linear regression of the propensity")
    _savefig(fig, path)
    plt.close(fig)


# ----------------------------------------------------------------------------- summary


def _curve(summary: pd.DataFrame, method: str) -> list[float]:
    sub = summary[summary["method"] == method].sort_values("d")
    return [float(v) for v in sub["mean"]]


def build_summary(results: StudyResults, metadata: Mapping) -> dict:
    """The machine-readable headline numbers (``summary.json``).

    Parameters
    ----------
    results : StudyResults
        Output of :func:`skii_glass.study.run_study`.
    metadata : mapping
        Run metadata (``n_particles``, ``temperature``, ``tau_alpha_sweeps``,
        ``wall_seconds``, ...); every entry is also copied into the summary.

    Returns
    -------
    dict
        JSON-serialisable: best feature and its |r|, |r| per feature, the best feature of
        each descriptor block, the greedy paths' imbalances, the Fig. 7 curves per method
        and the study settings.

    Examples
    --------
    >>> import json
    >>> import numpy as np, pandas as pd
    >>> from skii_glass.study import run_study
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["rho_L1.0", "theta_L2.0", "z_L1.0"])
    >>> t["propensity"] = t["theta_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> res = run_study(t, n_path_features=2, max_d=2, methods=["ii_supervised", "lasso"])
    >>> s = build_summary(res, {"n_particles": 20, "temperature": 0.5})
    >>> s["n_configurations"], s["best_feature"], s["supervised_first_feature"]
    (3, 'theta_L2.0', 'theta_L2.0')
    >>> s["best_feature_by_descriptor"]["theta"]["L"], sorted(s["regression_abs_pearson"])
    (2.0, ['ii_supervised', 'lasso'])
    >>> s["temperature"], len(json.dumps(s)) > 0
    (0.5, True)
    """
    ps = results.pearson_summary
    best = ps.loc[ps["abs_mean_r"].idxmax()]
    sup = results.supervised_summary
    out = {
        "n_configurations": int(results.pearson["configuration"].nunique()),
        "n_particles": metadata.get("n_particles"),
        "temperature": metadata.get("temperature"),
        "tau_alpha_sweeps": metadata.get("tau_alpha_sweeps"),
        "wall_seconds": metadata.get("wall_seconds"),
        "best_feature": str(best["feature"]),
        "best_abs_pearson": float(best["abs_mean_r"]),
        "abs_pearson_by_feature": {
            str(f): float(v) for f, v in zip(ps["feature"], ps["abs_mean_r"], strict=True)
        },
        "constant_features": [str(f) for f in ps.loc[ps["n_constant"] > 0, "feature"]],
        "best_feature_by_descriptor": {},
        "supervised_delta_subset_to_propensity": [
            float(v) for v in sup["delta_subset_to_target"]
        ],
        "supervised_first_feature": str(sup["most_common_feature"].iloc[0]),
        "unsupervised_symmetrized_imbalance": [
            float(v) for v in results.unsupervised_summary["objective"]
        ],
        "unsupervised_first_feature": str(
            results.unsupervised_summary["most_common_feature"].iloc[0]
        ),
        "regression_abs_pearson": {
            m: _curve(results.regression_summary, m)
            for m in REGRESSION_METHODS
            if m in set(results.regression_summary["method"])
        },
        "settings": dict(results.settings),
    }
    for d in DESCRIPTORS:
        sub = ps[ps["descriptor"] == d]
        if len(sub):
            row = sub.loc[sub["abs_mean_r"].idxmax()]
            out["best_feature_by_descriptor"][d] = {
                "feature": str(row["feature"]),
                "L": float(row["L"]),
                "abs_pearson": float(row["abs_mean_r"]),
            }
    protocol = results.settings.get("selection_protocol", "held-out")
    out["selection_protocol"] = protocol
    out["supervised_regression_method"] = PROTOCOL_METHOD[protocol]
    ceiling = metadata.get("noise_ceiling")
    if ceiling:
        # Each headline |r| divided by the noise ceiling: its correlation with a noise-free
        # propensity (skii_glass.reliability).
        out["best_abs_pearson_noise_corrected"] = out["best_abs_pearson"] / ceiling
        for block in out["best_feature_by_descriptor"].values():
            block["abs_pearson_noise_corrected"] = block["abs_pearson"] / ceiling
        out["regression_abs_pearson_noise_corrected"] = {
            m: [v / ceiling for v in c] for m, c in out["regression_abs_pearson"].items()
        }
    for key, value in metadata.items():
        out.setdefault(key, value)
    return out


# ----------------------------------------------------------------------------- text


def _fmt(v, nd=3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.{nd}f}"


def _at(values: list[float], d: int):
    return values[d - 1] if len(values) >= d else None


def _order_text(values: Mapping[str, float | None]) -> str:
    present = [(k, v) for k, v in values.items() if v is not None]
    present.sort(key=lambda kv: -kv[1])
    return " > ".join(f"{k} ({v:.3f})" for k, v in present)


def _cell(text) -> str:
    """A markdown table cell: a literal "|" (as in |r|) would split the cell."""
    return str(text).replace("|", "\\|")


def _markdown_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(_cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            cells.append(_fmt(v) if isinstance(v, float) else _cell(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


class _Text:
    """What every report section needs: the results, the summary, the paper, the run facts."""

    def __init__(self, results: StudyResults, summary: dict, ref: PaperReference,
                 metadata: Mapping):
        self.results = results
        self.summary = summary
        self.ref = ref
        self.meta = metadata
        self.paper = _paper_frame(ref)
        self.T = metadata.get("temperature")
        self.ceiling = summary.get("noise_ceiling")
        self.protocol = results.settings.get("selection_protocol", "held-out")
        self.sup_method = PROTOCOL_METHOD[self.protocol]
        self.dmax = int(results.supervised_summary["n_features"].max())
        self.d10 = min(10, self.dmax)

    def corrected(self, v: float | None) -> str:
        """``v`` and, when the noise ceiling is known, ``v / ceiling`` in brackets."""
        if v is None:
            return "n/a"
        if not self.ceiling:
            return f"{v:.3f}"
        return f"{v:.3f} ({v / self.ceiling:.3f} noise-corrected)"


def _text_intro(t: _Text) -> list[str]:
    return [
        "# Structural features for glassy dynamics by information imbalance: reproduction\n",
        "Reproduces the analyses of A. Sharma, C. Liu, M. Ozawa, J. Chem. Phys. 161 (2024) "
        "(arXiv:2408.12705), Figs. 4-7, with `skii` and `skii_glass`. Paper numbers: "
        f"{t.ref.source['repository']} (commit {t.ref.source['commit'][:10]}), means over "
        "their 10 configurations of N = 4000.\n",
    ]


def _num(v, nd: int) -> str:
    return _fmt(v, nd) if isinstance(v, int | float) else "n/a"


def _text_run(t: _Text) -> list[str]:
    meta, T = t.meta, t.T
    structures = meta.get("structures") or ["thermal"]
    rows = [
        ("source of the data", meta.get("source", "simulated by this run")),
        ("model (preset)", meta.get("preset", "n/a")),
        ("temperature T", _num(T, 3)),
        ("particles per configuration N", meta.get("n_particles", "n/a")),
        ("configurations", t.summary["n_configurations"]),
        ("trajectories per configuration", meta.get("n_trajectories", "n/a")),
        ("tau_alpha (MC sweeps, F_s^CR = 1/e)", _num(meta.get("tau_alpha_sweeps"), 0)),
        ("MC step size delta", meta.get("max_displacement", "n/a")),
        ("structures analysed", ", ".join(structures)),
        ("supervised selection protocol (headline)", t.protocol),
        ("compute time, all stages (s)", _num(meta.get("wall_seconds"), 1)),
        ("time per stage (s)", ", ".join(f"{k} {v:.1f}" for k, v in
                                         meta.get("stage_seconds", {}).items()) or "n/a"),
        ("dataset generation time (s)", ", ".join(
            f"{k} {v:.0f}" for k, v in
            (meta.get("dataset_provenance") or {}).get("stage_seconds", {}).items())
         or "n/a (simulated in this run)"),
        ("paper", "their ternary LJ model (its constants, temperature and tau_alpha are not "
                  "published), N = 4000, 10 configurations, 30 trajectories"),
    ]
    lines = ["## Run\n", "| quantity | value |\n|---|---|"]
    lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in rows]
    lines.append("")
    ref_tau = None
    if isinstance(T, int | float):
        ref_tau = _KA2D_TAU_CR.get((round(float(T), 3),
                                    round(float(meta.get("max_displacement") or 0), 3)))
    tau = meta.get("tau_alpha_sweeps")
    if meta.get("preset") == "ka2d" and ref_tau and isinstance(tau, int | float):
        lines.append(
            f"Cross-check: tau_alpha^CR = {tau:.0f} sweeps against {ref_tau} from an "
            "independent C implementation of the same Monte Carlo (doc/physics_ka2d.md: "
            "N = 1290, averaged over time origins, long equilibration); ratio "
            f"{tau / ref_tau:.2f}. Ours comes from one time origin of "
            f"{meta.get('n_tau_configurations', 'a few')} configuration(s) of "
            f"N = {meta.get('n_particles')}, so expect scatter (one such run at N = 400, "
            "T = 1.0 gives 1150-2100 sweeps).\n")
    if meta.get("relaxation_figure"):
        lines.append(f"![relaxation](figures/{RELAXATION_FIGURE})\n")
    if meta.get("equilibration_energy_drifting"):
        lines.append(
            "**Warning.** The potential energy was still drifting at the end of the "
            f"equilibration of configurations {meta['equilibration_energy_drifting']}: they "
            "may not be equilibrium samples; rerun with more --equilibration-sweeps.\n")
    if isinstance(T, int | float) and T > 0.6:
        stats = meta.get("propensity_statistics") or {}
        a2 = stats.get("alpha2_at_tau")
        a2_text = (f"the non-Gaussian parameter of the cage-relative displacements at "
                   f"tau_alpha (`propensity_statistics.alpha2_at_tau` in summary.json) is "
                   f"{a2:.2f}, " if isinstance(a2, int | float) else "")
        lines.append(
            f"**Caveat.** T = {T:g} is above the glassy regime of this model: {a2_text}"
            "dynamic heterogeneity, and with it the structure-dynamics correlations, are "
            "weak (doc/physics_ka2d.md tabulates the non-Gaussian parameter against T). "
            "Treat this run as a check that every stage works; the bundled dataset "
            "(`--from-bundled`) is the physically meaningful comparison.\n")
    return lines


def _text_noise(t: _Text) -> list[str]:
    stats = t.meta.get("propensity_statistics")
    if not stats:
        return ["## Noise ceiling of the propensity\n",
                "Not available: the data carry no per-trajectory displacements (older "
                "dataset files), so the reliability of the propensity cannot be measured.\n"]
    R = stats["n_trajectories"]
    lines = ["## Noise ceiling of the propensity\n"]
    lines.append(
        f"The propensity is a mean over R = {R} trajectories, each with its own thermal "
        "noise. Two disjoint halves of the trajectories give propensities that correlate at "
        f"r = {stats['split_half_correlation']:.3f} (mean over configurations and 20 random "
        f"splits); the Spearman-Brown formula turns this into the reliability of the mean of "
        f"all {R}, R_{R} = {stats['reliability']:.3f} (the squared correlation between the "
        "measured and a noise-free propensity). No structural feature can correlate with the "
        f"measured propensity better than sqrt(R_{R}) = **{stats['noise_ceiling']:.3f}**, "
        "the noise ceiling; every headline |r| below is also given divided by it "
        "(noise-corrected).\n")
    sp = stats.get("species_abs_pearson")
    rows = [
        ("split-half correlation", stats["split_half_correlation"]),
        (f"reliability R_{R} (Spearman-Brown)", stats["reliability"]),
        ("noise ceiling sqrt(R)", stats["noise_ceiling"]),
        ("coefficient of variation of the propensity", stats["coefficient_of_variation"]),
        ("p90 / p10 of the propensity", stats["p90_over_p10"]),
        ("non-Gaussian parameter of |dr^CR| at tau_alpha", stats.get("alpha2_at_tau")),
        ("|r| explained by species alone", sp),
    ]
    lines.append("| quantity | value |\n|---|---|")
    lines += [f"| {_cell(k)} | {_num(v, 3)} |" for k, v in rows]
    lines.append("")
    return lines


def _text_fig4a(t: _Text) -> list[str]:
    ps, paper, summary, ref = t.results.pearson_summary, t.paper, t.summary, t.ref
    lines = ["## Fig. 4a: Pearson correlation with the propensity\n",
             "![Fig. 4a](figures/fig4a_pearson.png)\n"]
    add = lines.append
    table = []
    ref_signed = dict(zip(ref.feature_names, ref.data["fig4a_pearson_signed_mean"], strict=True))
    our_best, paper_best = {}, {}
    for d in DESCRIPTORS:
        o = ps[ps["descriptor"] == d]
        p = paper[paper["descriptor"] == d]
        if not len(o):
            continue
        ob = o.loc[o["abs_mean_r"].idxmax()]
        pb = p.loc[p["abs_mean_r"].idxmax()]
        our_best[d] = float(ob["abs_mean_r"])
        paper_best[d] = float(pb["abs_mean_r"])
        row = {"descriptor": d, "best L (ours)": f"{ob['L']:.1f}",
               "max |r| (ours)": float(ob["abs_mean_r"])}
        if t.ceiling:
            row["max |r| / ceiling (ours)"] = float(ob["abs_mean_r"]) / t.ceiling
        row.update({"best L (paper)": f"{pb['L']:.1f}",
                    "max |r| (paper)": float(pb["abs_mean_r"]),
                    "sign of r (ours)": "+" if ob["mean_r"] >= 0 else "-",
                    "sign of r (paper)": "+" if ref_signed[pb["feature"]] >= 0 else "-"})
        table.append(row)
    if table:
        add(_markdown_table(pd.DataFrame(table)))
        add("")
    best = summary["best_feature"]
    add(f"Our most correlated feature is **{best}** (|r| = "
        f"{t.corrected(summary['best_abs_pearson'])}); the paper's is "
        f"**{ref.best_feature()}** (|r| = {ref.best_abs_pearson():.3f}).")
    if our_best:
        from scipy.stats import spearmanr

        ours_rank = sorted(our_best, key=lambda k: -our_best[k])
        paper_rank = sorted(paper_best, key=lambda k: -paper_best[k])
        rho = spearmanr([our_best[k] for k in ours_rank],
                        [paper_best[k] for k in ours_rank]).statistic
        add(f" Ranking of descriptors by their best |r|: ours {' > '.join(ours_rank)}; "
            f"paper {' > '.join(paper_rank)} (Spearman rank correlation "
            f"{_fmt(float(rho), 2)}). ")
        if ours_rank[0] == paper_rank[0]:
            add(f" The winning descriptor agrees ({ours_rank[0]}).")
        else:
            add(f" The winning descriptor differs ({ours_rank[0]} here, {paper_rank[0]} in "
                "the paper).")
        if "theta" in our_best:
            tb = summary["best_feature_by_descriptor"]["theta"]
            add(f" The Tong-Tanaka steric order Θ̄ peaks at L = {tb['L']:.1f} here "
                f"(paper: L = 2.0) and ranks {ours_rank.index('theta') + 1} of "
                f"{len(ours_rank)} descriptors.")
    if summary["constant_features"]:
        add(f"\nConstant columns (reported as r = 0, flagged, never NaN): "
            f"{', '.join(summary['constant_features'])}.")
    add("")
    return lines


def _text_fig4bcd(t: _Text) -> list[str]:
    im, paper = t.results.imbalances_summary, t.paper
    lines = ["## Figs. 4b-d: single-feature information imbalance\n",
             "![Fig. 4b](figures/fig4b_imbalance_plane.png)\n",
             "![Figs. 4c-d](figures/fig4cd_inverse_imbalance.png)\n"]
    ib = im.loc[im["delta_x_to_p"].idxmin()]
    pib = paper.loc[paper["delta_x_to_p"].idxmin()]
    gap = float(np.mean(np.abs(im["delta_x_to_p"] - im["delta_p_to_x"])))
    pgap = float(np.mean(np.abs(paper["delta_x_to_p"] - paper["delta_p_to_x"])))
    if gap < 0.05 and pgap < 0.05:
        verdict = ("like the paper's, our single features sit close to the diagonal (each "
                   "carries about as much information on p as p carries on it).")
    elif gap < 0.05:
        verdict = "our single features sit close to the diagonal."
    else:
        verdict = "our points scatter further from the diagonal than the paper's."
    text = (f"Smallest Δ(x → p): **{ib['feature']}** ({ib['delta_x_to_p']:.3f}); paper: "
            f"**{pib['feature']}** ({pib['delta_x_to_p']:.3f}). Range of Δ(x → p) over "
            f"features: {im['delta_x_to_p'].min():.3f}-{im['delta_x_to_p'].max():.3f} (paper "
            f"{paper['delta_x_to_p'].min():.3f}-{paper['delta_x_to_p'].max():.3f}). Mean "
            f"|Δ(x → p) - Δ(p → x)| = {gap:.3f} (paper {pgap:.3f}): {verdict}")
    lines.append(text)
    best, paper_same = t.summary["best_feature"], pib["feature"] == t.ref.best_feature()
    if ib["feature"] == best:
        lines.append(" The feature with the smallest imbalance is also the most linearly "
                     "correlated one" + (", as in the paper." if paper_same else "."))
    else:
        lines.append(" The feature with the smallest imbalance is not the most linearly "
                     f"correlated one ({best})"
                     + (", unlike the paper." if paper_same else "."))
    lines.append("")
    return lines


def _text_fig5(t: _Text) -> list[str]:
    sup, ps5 = t.results.supervised_summary, t.ref.fig5()
    dmax, d10 = t.dmax, t.d10
    sd = [float(v) for v in sup["delta_subset_to_target"]]
    p5d = ps5["delta_subset_to_target"]
    ds = sorted({1, d10, dmax})
    lines = ["## Fig. 5: supervised greedy selection\n", "![Fig. 5](figures/fig5_supervised.png)\n"]
    add = lines.append
    add(f"Δ(X_d → p) at d = {' / '.join(map(str, ds))}: "
        + " / ".join(f"{sd[d - 1]:.3f}" for d in ds) + "; paper "
        + " / ".join(f"{p5d[d - 1]:.3f}" for d in ds) + ".")
    drop = sd[0] - min(sd)
    pdrop = p5d[0] - p5d[dmax - 1]
    add(f" Adding features lowers Δ(X_d → p) by {drop:.3f} (paper {pdrop:.3f} over the same "
        "range).")
    back = [float(v) for v in sup["delta_target_to_subset"]]
    pback = ps5["delta_target_to_subset"][:dmax]
    add(f" Δ(p → X_d) stays at {min(back):.2f}-{max(back):.2f} (paper {min(pback):.2f}-"
        f"{max(pback):.2f}): a scalar propensity cannot predict neighbourhoods in a "
        "many-dimensional descriptor space.")
    add(f" First feature picked (most common over configurations): "
        f"**{sup['most_common_feature'].iloc[0]}**; paper: theta_L2.0 in 6 of 10 "
        "configurations.\n")
    bad = [d for d in range(1, len(sd)) if sd[d] > sd[d - 1] + 1e-12]
    if bad:
        pflat = len(p5d) >= 15 and p5d[9] - p5d[14] < 0.02
        add(f"Δ(X_d → p) increases at d = {', '.join(str(d + 1) for d in bad)}: greedy "
            "forward selection always adds a feature, and once the informative ones are in, "
            "a further (noise-like) coordinate can only dilute the neighbourhoods."
            + (" The paper's curve is also flat from d = 10 (within 0.02)." if pflat else "")
            + "\n")
    return lines


def _text_fig6(t: _Text) -> list[str]:
    uns, p6 = t.results.unsupervised_summary, t.ref.fig6()
    d10 = t.d10
    so = [float(v) for v in uns["objective"]]
    p6_first = ", ".join(f"{k} x{v}" for k, v in t.ref.data["fig6_first_feature_counts"].items())
    lines = ["## Fig. 6: unsupervised greedy selection\n",
             "![Fig. 6](figures/fig6_unsupervised.png)\n"]
    add = lines.append
    add(f"Symmetrized imbalance against the full feature set at d = 1 / {d10}: "
        f"{so[0]:.3f} / {so[d10 - 1]:.4f} (paper {p6['objective'][0]:.3f} / "
        f"{p6['objective'][d10 - 1]:.4f}). First feature picked: "
        f"**{uns['most_common_feature'].iloc[0]}** (paper: {p6_first}).")
    fall = so[0] / max(so[d10 - 1], 1e-12)
    pfall = p6["objective"][0] / p6["objective"][d10 - 1]
    if fall > 5 and 0.5 <= fall / pfall <= 2:
        verdict = (": a handful of coarse-grained features already reproduces the "
                   "neighbourhoods of all 60, as in the paper (within a factor 2).")
    elif fall > 5:
        verdict = (": a handful of coarse-grained features already captures much of the "
                   "neighbourhoods of all 60, but the paper's curve falls "
                   + ("much further." if fall < pfall else "much less."))
    else:
        verdict = "."
    add(f" The symmetrized imbalance falls by a factor {fall:.0f} from d = 1 to d = {d10} "
        f"(paper {pfall:.0f} over the same range){verdict}")
    curves = t.summary["regression_abs_pearson"]
    if "ii_unsupervised" in curves and t.sup_method in curves:
        if curves["ii_unsupervised"][0] < curves[t.sup_method][0]:
            add(" The selection ignores the propensity, which is why its first feature "
                "predicts it worse than the supervised one (Fig. 7).")
    add("")
    return lines


def _text_fig7(t: _Text) -> list[str]:
    curves, ref, dmax = t.summary["regression_abs_pearson"], t.ref, t.dmax
    settings = t.results.settings
    sm = t.sup_method
    lines = ["## Fig. 7: leave-one-configuration-out regression\n",
             "![Fig. 7](figures/fig7_regression.png)\n"]
    add = lines.append
    add("For each held-out configuration the scaler and the OLS weights use only the other "
        "configurations. Two protocols choose the supervised-II features: **held-out** "
        "(`ii_supervised`: selected on the training configurations, so nothing of the test "
        "configuration leaks in) and **paper** (`ii_supervised_paper`: the test "
        "configuration's own supervised path, as in the authors' code, so its propensity "
        f"informs which features are used). The headline here is **{t.protocol}** "
        "(`--selection-protocol`). Every other method selects on the training "
        "configurations only. Our random baseline averages over "
        f"{settings.get('n_random_draws')} seeded random orderings; the paper's random "
        "curve behaves like one fixed ordering (d = 1 mean 0.12), so ours is smoother and "
        "starts higher."
        + (" SFS and mutual information are extra baselines (not in the paper), run on a "
           f"seeded subsample of at most {settings.get('baseline_max_rows')} training rows."
           if {"sfs", "mutual_info"} & set(curves) else "") + "\n")
    dd = [d for d in (1, 2, 10, 15) if d <= dmax]
    trow = []
    for m in REGRESSION_METHODS:
        if m not in curves:
            continue
        row = {"method": METHOD_LABELS[m]}
        for d in dd:
            v = _at(curves[m], d)
            row[f"d={d} ours"] = v
            if t.ceiling and v is not None:
                row[f"d={d} ours / ceiling"] = v / t.ceiling
            paper_m = "ii_supervised" if m == "ii_supervised_paper" else m
            row[f"d={d} paper"] = (float(ref.fig7_mean(paper_m)[d - 1])
                                   if paper_m in ref.fig7_methods else "-")
        trow.append(row)
    add(_markdown_table(pd.DataFrame(trow).fillna("-")))
    add("")
    if "ii_supervised" in curves and "ii_supervised_paper" in curves:
        h, p = curves["ii_supervised"], curves["ii_supervised_paper"]
        dtop = min(10, len(h))
        add(f"- Protocols: supervised II at d = 1 / {dtop}: held-out {h[0]:.3f} / "
            f"{h[dtop - 1]:.3f}, paper protocol {p[0]:.3f} / {p[dtop - 1]:.3f} "
            f"(difference {np.mean(np.array(p) - np.array(h)):+.3f} averaged over d).")
    for d in (1, 2):
        if d > dmax:
            continue
        ours_d = {m: _at(curves[m], d) for m in ("lasso", sm, "ii_unsupervised", "random")
                  if m in curves}
        paper_d = {m: float(ref.fig7_mean("ii_supervised" if m == sm else m)[d - 1])
                   for m in ours_d}
        same = sorted(ours_d, key=lambda k: -ours_d[k]) == sorted(paper_d,
                                                                  key=lambda k: -paper_d[k])
        add(f"- d = {d}: ours {_order_text(ours_d)}; paper {_order_text(paper_d)}. "
            + ("Same ordering of methods." if same else "The ordering of methods differs."))
    if sm in curves and "ii_unsupervised" in curves:
        s1, u1 = curves[sm][0], curves["ii_unsupervised"][0]
        psu1 = ref.fig7_mean("ii_supervised")[0] - ref.fig7_mean("ii_unsupervised")[0]
        if s1 - u1 > 0.02:
            verdict = ("as in the paper, " if psu1 > 0.02 else "") + (
                "the unsupervised path describes the structure, not the dynamics, so its "
                "first features predict the propensity worse.")
        else:
            verdict = ("unlike the paper, " if psu1 > 0.02 else "") + (
                "the propensity-aware selection gains nothing here.")
        add(f"- Supervised minus unsupervised selection at d = 1: {s1 - u1:+.3f} "
            f"(paper {psu1:+.3f}): {verdict}")
        su = curves[sm][-1] - curves["ii_unsupervised"][-1]
        psu = ref.fig7_mean("ii_supervised")[dmax - 1] - ref.fig7_mean("ii_unsupervised")[dmax - 1]
        add(f"- At d = {dmax} the gap is {su:+.3f} (paper {psu:+.3f}): "
            + ("with enough features both selections reach similar linear predictability."
               if abs(su) < 0.05 else
               "the unsupervised selection has not caught up yet at this d." if su > 0 else
               "the unsupervised selection is ahead at this d."))
    if sm in curves and "lasso" in curves:
        diff = np.array(curves[sm]) - np.array(curves["lasso"])
        pdiff = np.mean(ref.fig7_mean("ii_supervised")[:dmax] - ref.fig7_mean("lasso")[:dmax])
        add(f"- Supervised II minus Lasso, averaged over d: {diff.mean():+.3f} (paper "
            f"{pdiff:+.3f}). Lasso optimises the same linear model that Fig. 7 scores, so it "
            "is expected to be at least as good; "
            + ("information imbalance, which knows nothing about linear models, comes within "
               "0.03 of it" + (", as in the paper." if abs(pdiff) <= 0.03 else ".")
               if abs(diff.mean()) <= 0.03 else
               "here the model-free selection is ahead of it." if diff.mean() > 0 else
               "here the model-free selection falls behind it."))
    rs = t.results.regression_summary
    top, scatter = float(rs["mean"].max()), float(rs["std"].mean())
    if top < 0.45:
        noise = (f" (its noise ceiling is {t.ceiling:.2f}, so trajectory noise is not what "
                 "limits it)" if t.ceiling and t.ceiling > 2 * top else
                 " and noisy" if t.ceiling is None else
                 f" (noise ceiling {t.ceiling:.2f})")
        add(f"- Every curve stays below {top:.2f}, far from the paper's ~0.7, and the mean "
            f"fold-to-fold standard deviation is {scatter:.3f}: here the propensity is only "
            f"weakly set by these descriptors of the local structure{noise}, so differences "
            "between methods smaller than that scatter are not resolved.")
    add("")
    return lines


def _text_structures(t: _Text) -> list[str]:
    other = t.summary.get("by_structure") or {}
    if not other:
        return []
    lines = ["## Thermal and inherent structures\n",
             "The descriptors computed on the configurations as sampled (thermal, the "
             "paper's choice and the headline numbers above) and on their inherent "
             "structures (the local energy minimum reached by FIRE minimisation from each "
             "configuration).\n"]
    if (t.meta.get("structure_figure")):
        lines.append(f"![thermal vs inherent](figures/{STRUCTURE_FIGURE})\n")
    rows = []
    views = {"thermal": t.summary, **other}
    for name, s in views.items():
        row = {"structure": name, "best feature": s["best_feature"],
               "best |r|": s["best_abs_pearson"]}
        for d in ("theta", "u", "rho", "phi"):
            b = s["best_feature_by_descriptor"].get(d)
            row[f"{d}: best |r| (L)"] = f"{b['abs_pearson']:.3f} ({b['L']:.1f})" if b else "-"
        curve = s["regression_abs_pearson"].get(t.sup_method) or []
        for d in (1, 10):
            row[f"supervised II d={d}"] = _at(curve, d) if len(curve) >= d else "-"
        rows.append(row)
    lines.append(_markdown_table(pd.DataFrame(rows)))
    lines.append("")
    return lines


def _text_why(t: _Text) -> list[str]:
    meta, summary = t.meta, t.summary
    preset = meta.get("preset")
    model = ("`ka2d` (the glass-ML roadmap's 2D ternary LJ)" if preset == "ka2d"
             else f"`{preset}`" if preset else "the model of these data")
    lines = ["## Why the numbers differ from the paper\n",
             f"* Different model: {model} rather than the paper's Barbot-type ternary "
             "mixture, whose constants are unpublished; descriptor magnitudes and optimal L "
             "shift with the particle sizes."]
    lines.append(
        f"* Temperature and statistics: T = {t.T}, N = {meta.get('n_particles')}, "
        f"{summary['n_configurations']} configurations, {meta.get('n_trajectories')} "
        "trajectories, versus N = 4000, 10 configurations, 30 trajectories at a temperature "
        "the paper does not state."
        + (" Fewer trajectories leave more noise in the propensity, which caps every |r| "
           "(see the noise ceiling)." if isinstance(meta.get("n_trajectories"), int)
           and meta["n_trajectories"] < 30 else ""))
    n_part = meta.get("n_particles")
    if isinstance(n_part, int) and n_part < 4000:
        lines.append(
            f"* System size: with N = {n_part} instead of 4000 the nearest neighbours in the "
            "many-dimensional descriptor spaces are further apart, so imbalances between "
            "multi-feature spaces (Figs. 5b, 6) come out larger than the paper's even for "
            "the same physics.")
    lines.append(
        "* Method differences that we chose on purpose: the held-out selection protocol "
        "(unless `--selection-protocol paper`); random selection averaged over many draws; "
        "ties in the imbalance ranks averaged exactly rather than broken by argsort order.")
    lines.append("")
    return lines


def _text_files(t: _Text) -> list[str]:
    return [
        "## Files\n",
        "* `figures/`: " + ", ".join(FIGURES),
        "* `tables/`: " + ", ".join(f"{k}.csv" for k in t.results.tables()) + ", "
        "comparison_with_paper.csv",
        "* `summary.json`: headline numbers for machines.",
    ]


#: The report's sections, in order; each returns its markdown lines.
_SECTIONS = (_text_intro, _text_run, _text_noise, _text_fig4a, _text_fig4bcd, _text_fig5,
             _text_fig6, _text_fig7, _text_structures, _text_why, _text_files)


def _report_text(results: StudyResults, summary: dict, ref: PaperReference,
                 metadata: Mapping) -> str:
    t = _Text(results, summary, ref, metadata)
    merged: list[str] = []
    for section in _SECTIONS:
        for line in section(t):
            # A line starting with a space continues the previous sentence's paragraph.
            if line.startswith(" ") and merged and merged[-1] and \
                    not merged[-1].endswith("\n"):
                merged[-1] = merged[-1].rstrip(" ") + " " + line.lstrip()
            else:
                merged.append(line)
    return "\n".join(merged) + "\n"


def _comparison_table(results: StudyResults, ref: PaperReference) -> pd.DataFrame:
    rows = []
    ps = results.pearson_summary.set_index("feature")
    im = results.imbalances_summary.set_index("feature")
    paper = _paper_frame(ref).set_index("feature")
    for f in paper.index:
        if f in ps.index:
            rows.append(("fig4a_abs_pearson", f, float(ps.loc[f, "abs_mean_r"]),
                         float(paper.loc[f, "abs_mean_r"])))
    for f in paper.index:
        if f in im.index:
            rows.append(("fig4b_delta_x_to_p", f, float(im.loc[f, "delta_x_to_p"]),
                         float(paper.loc[f, "delta_x_to_p"])))
            rows.append(("fig4b_delta_p_to_x", f, float(im.loc[f, "delta_p_to_x"]),
                         float(paper.loc[f, "delta_p_to_x"])))
    p5, p6 = ref.fig5(), ref.fig6()
    for _, r in results.supervised_summary.iterrows():
        d = int(r["n_features"])
        if d <= 15:
            rows.append(("fig5_delta_subset_to_p", f"d={d}", float(r["delta_subset_to_target"]),
                         float(p5["delta_subset_to_target"][d - 1])))
    for _, r in results.unsupervised_summary.iterrows():
        d = int(r["n_features"])
        if d <= 15:
            rows.append(("fig6_symmetrized", f"d={d}", float(r["objective"]),
                         float(p6["objective"][d - 1])))
    for _, r in results.regression_summary.iterrows():
        d = int(r["d"])
        pv = float(ref.fig7_mean(r["method"])[d - 1]) if r["method"] in ref.fig7_methods \
            and d <= 15 else float("nan")
        rows.append((f"fig7_{r['method']}", f"d={d}", float(r["mean"]), pv))
    return pd.DataFrame(rows, columns=["quantity", "key", "ours", "paper"])


def _fig_structures(thermal: pd.DataFrame, inherent: pd.DataFrame, path: Path) -> None:
    _pearson_panels(((thermal, "thermal configurations"), (inherent, "inherent structures")),
                    "Fig. 4a on thermal and inherent structures (this run)", path)


def _fig_relaxation(relaxation: Mapping, tau: float | None, path: Path) -> None:
    plt = _plt()
    t = np.asarray(relaxation["times"], dtype=float)
    keep = t > 0
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.semilogx(t[keep], np.asarray(relaxation["fs_cr"])[keep], "-o", ms=3,
                label=r"cage-relative $F_s^{CR}(k = 2\pi, t)$")
    ax.semilogx(t[keep], np.asarray(relaxation["fs"])[keep], "--", color="gray",
                label=r"plain $F_s(k = 2\pi, t)$")
    ax.axhline(1 / np.e, color="k", lw=0.8, ls=":", label="1/e")
    if tau:
        ax.axvline(tau, color="tab:red", lw=1, label=rf"$\tau_\alpha^{{CR}}$ = {tau:.0f} sweeps")
    ax.set_xlabel("t (MC sweeps)")
    ax.set_ylabel("self-intermediate scattering function")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(r"Relaxation: the propensity is measured at $t = \tau_\alpha^{CR}$",
                 fontsize=10)
    _savefig(fig, path)
    plt.close(fig)


def write_figures(results: StudyResults, out_dir: str | os.PathLike,
                  relaxation: Mapping | None = None,
                  tau_alpha_sweeps: float | None = None) -> None:
    """Draw the headline figures (Figs. 4-7 beside the paper's, and with ``relaxation``
    the F_s curves behind tau_alpha) into ``out_dir/figures``.

    :func:`write_report` calls it unless told the figures are drawn already
    (``figures=False``): ``skii-glass reproduce`` draws them while the inherent
    structures' analyses still run.
    """
    fig = Path(out_dir) / "figures"
    fig.mkdir(parents=True, exist_ok=True)
    ref = paper_reference()
    paper = _paper_frame(ref)
    _fig4a(results.pearson_summary, paper, fig / FIGURES[0])
    _fig4b(results.imbalances_summary, paper, fig / FIGURES[1])
    _fig4cd(results.imbalances_summary, paper, fig / FIGURES[2])
    _fig5(results.supervised_summary, ref, fig / FIGURES[3])
    _fig6(results.unsupervised_summary, ref, fig / FIGURES[4])
    _fig7(results.regression_summary, ref, fig / FIGURES[5])
    if relaxation is not None:
        _fig_relaxation(relaxation, tau_alpha_sweeps, fig / RELAXATION_FIGURE)


def write_report(results: StudyResults, out_dir: str | os.PathLike,
                 metadata: Mapping | None = None, relaxation: Mapping | None = None,
                 inherent: StudyResults | None = None, figures: bool = True) -> dict:
    """Write figures, tables, ``report.md`` and ``summary.json`` into ``out_dir``.

    Parameters
    ----------
    results : StudyResults
        From :func:`skii_glass.study.run_study`.
    out_dir : path
        Created if needed; existing report files are overwritten (atomically).
    metadata : mapping, optional
        Facts about the data: ``temperature``, ``n_particles``, ``tau_alpha_sweeps``,
        ``wall_seconds``, ``n_trajectories``, ``preset``, ``source``, ... They are copied
        into ``summary.json``.
    relaxation : mapping, optional
        ``times``, ``fs_cr``, ``fs``: the F_s curves behind tau_alpha; adds a figure.
    inherent : StudyResults, optional
        The same study on descriptors of the inherent structures: its summary goes under
        ``summary["by_structure"]["inherent"]`` (same keys as the thermal headline), its
        tables under ``tables/inherent/``, and the report compares both.
    figures : bool, default True
        Draw the headline figures (:func:`write_figures`); False when they were drawn
        already from the same ``results`` and ``relaxation``.

    Returns
    -------
    dict
        The summary written to ``summary.json``.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np, pandas as pd
    >>> from skii_glass.study import run_study
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"theta_L2.0": rng.normal(size=60), "rho_L1.0": rng.normal(size=60)})
    >>> t["propensity"] = t["theta_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> res = run_study(t, n_path_features=2, max_d=2, n_random_draws=5)
    >>> summary = write_report(res, tempfile.mkdtemp(), {"temperature": 0.55})
    >>> summary["best_feature"], len(summary["regression_abs_pearson"]["lasso"])
    ('theta_L2.0', 2)
    """
    metadata = dict(metadata or {})
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    ref = paper_reference()
    for name, df in results.tables().items():
        tmp = out / "tables" / f"{name}.csv.tmp"
        df.to_csv(tmp, index=False)
        os.replace(tmp, out / "tables" / f"{name}.csv")
    cmp_path = out / "tables" / "comparison_with_paper.csv"
    _comparison_table(results, ref).to_csv(cmp_path.with_suffix(".tmp"), index=False)
    os.replace(cmp_path.with_suffix(".tmp"), cmp_path)

    fig = out / "figures"
    if figures:
        write_figures(results, out, relaxation, metadata.get("tau_alpha_sweeps"))
    if relaxation is not None:
        metadata["relaxation_figure"] = True

    if inherent is not None:
        (out / "tables" / "inherent").mkdir(exist_ok=True)
        for name, df in inherent.tables().items():
            tmp = out / "tables" / "inherent" / f"{name}.csv.tmp"
            df.to_csv(tmp, index=False)
            os.replace(tmp, out / "tables" / "inherent" / f"{name}.csv")
        _fig_structures(results.pearson_summary, inherent.pearson_summary,
                        fig / STRUCTURE_FIGURE)
        metadata["structure_figure"] = True
    summary = build_summary(results, metadata)
    if inherent is not None:
        ceiling = {k: metadata[k] for k in ("noise_ceiling",) if k in metadata}
        inh = build_summary(inherent, ceiling)
        summary["by_structure"] = {"inherent": {k: v for k, v in inh.items()
                                                if k not in ("settings", "noise_ceiling")}}
    _atomic_write_text(out / "report.md", _report_text(results, summary, ref, metadata))
    _atomic_write_text(out / "summary.json", json.dumps(summary, indent=1, default=_json_default))
    return summary


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
