"""Pictures for the report, all embedded as ``data:`` URIs.

* :func:`timeline_png`: one file's score over time (seconds from the first frame), the threshold,
  flagged intervals shaded red, segments that were not classified shaded grey.
* :func:`segment_chart_png`: one segment's yaw and pitch of persons A and B, whether each looks
  toward the other, and their nose-to-nose distance over its sample frames.
* :func:`keyframe_jpeg`: a reduced JPEG copy of an annotated keyframe (the PNG in the case folder
  stays the reference; its SHA-256 is printed beside the copy).

Matplotlib is used through its object API with the Agg canvas (no pyplot, no global backend),
and no text from the evidence ever goes into a chart: file names appear only in the HTML, where
they are escaped (matplotlib would read ``$...$`` in a name as mathematics).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

COLOR_A = "#c98a00"  # amber, as person A's box on the keyframes
COLOR_B = "#0063cc"  # blue, as person B's
COLOR_SCORE = "#1f3b73"
COLOR_FLAG = "#d62728"
COLOR_GREY = "#9e9e9e"

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.labelsize": 7.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 6.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",
}
DPI = 150


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def tick_step(span_s: float, most: int = 10) -> float:
    """A round tick spacing (seconds) giving at most ``most`` intervals over ``span_s``."""
    for step in _STEPS:
        if span_s / step <= most:
            return float(step)
    return float(math.ceil(span_s / most / 86400) * 86400)


def clock_label(seconds: float, step: float = 1.0) -> str:
    """``[h:]mm:ss``, with tenths when the ticks are closer than a second."""
    sign = "-" if seconds < -1e-9 else ""
    v = abs(seconds)
    if step < 1:
        whole, frac = divmod(round(v * 10), 10)
        tail = f".{int(frac)}"
    else:
        whole, tail = int(round(v)), ""
    h, rem = divmod(int(whole), 3600)
    m, s = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}{tail}" if h else f"{sign}{m}:{s:02d}{tail}"


def timeline_png(segments: Sequence[Any], duration_s: float | None, threshold: float | None) -> bytes:
    """``segments``: records with start_s, end_s, status, score, label (forensic.records.Finding).

    Score steps over each classified segment; red band over each flagged segment (label
    ``stalking``); grey band over segments that were not classified; dashed threshold line."""
    import matplotlib
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    with matplotlib.rc_context(_RC):
        fig = _figure(7.2, 1.25)
        ax = fig.add_axes((0.07, 0.33, 0.745, 0.6))
        end = max([float(duration_s or 0.0)] + [float(s.end_s) for s in segments] + [1.0])
        grey_done = flag_done = score_done = False
        for s in segments:
            x0, x1 = float(s.start_s), float(s.end_s)
            status = str(s.status)
            if status == "analysed" and s.score is not None and not math.isnan(float(s.score)):
                if s.label == "stalking":
                    ax.axvspan(x0, x1, color=COLOR_FLAG, alpha=0.22, lw=0)
                    flag_done = True
                ax.plot([x0, x1], [float(s.score)] * 2, color=COLOR_SCORE, lw=1.6, solid_capstyle="butt")
                score_done = True
            else:
                ax.axvspan(x0, x1, ymin=0, ymax=0.08, facecolor=COLOR_GREY, edgecolor="white", lw=0.6)
                grey_done = True
        if threshold is not None:
            ax.axhline(float(threshold), color="black", lw=0.8, ls="--")
        ax.set_xlim(0, end)
        ax.set_ylim(0, 1.02)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel("score")
        ax.set_xlabel("time from the first frame ([h:]mm:ss)")
        step = tick_step(end)
        ax.xaxis.set_major_locator(MultipleLocator(step))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock_label(x, step)))
        ax.grid(axis="x", color="#e0e0e0", lw=0.5)
        handles = []
        if score_done:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color=COLOR_SCORE, lw=1.6, label="score per segment"))
        if threshold is not None:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color="black", lw=0.8, ls="--", label=f"threshold {float(threshold):g}"))
        if flag_done:
            handles.append(Patch(color=COLOR_FLAG, alpha=0.3, label="flagged"))
        if grey_done:
            handles.append(Patch(color=COLOR_GREY, label="not classified"))
        if handles:
            ax.legend(
                handles=handles,
                loc="upper left",
                bbox_to_anchor=(1.005, 1.0),
                frameon=False,
                borderaxespad=0.0,
                handlelength=1.6,
            )
        return _png(fig)


def _col(rows: list[dict[str, Any]], name: str) -> np.ndarray:
    out = []
    for r in rows:
        v = r.get(name)
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return np.array(out, dtype=float)


def segment_chart_png(rows: list[dict[str, Any]]) -> bytes:
    """``rows``: features.csv rows (frame, s, A_yaw, A_pitch, B_yaw, B_pitch, noses, distance_px).

    Three panels over the sample frames (x: decoded-frame index): head pose (yaw solid, pitch
    dashed; A amber, B blue), whether each looks toward the other (filled: yes, hollow: no, none:
    unknown; see :data:`forensic.report.finding.LOOK_RULE`), nose-to-nose distance in pixels. A
    frame without both people has no value; it is marked "no pair", never drawn as zero."""
    import matplotlib

    from forensic.report.finding import curves

    pts = curves(rows)
    with matplotlib.rc_context(_RC):
        fig = _figure(7.2, 1.75)
        x = np.arange(len(pts))
        labels = [str(p.frame) if p.frame is not None else "?" for p in pts]
        ax1 = fig.add_axes((0.07, 0.25, 0.40, 0.58))
        ax3 = fig.add_axes((0.545, 0.25, 0.17, 0.58))
        ax2 = fig.add_axes((0.795, 0.25, 0.19, 0.58))
        series = {
            "A": ([p.a_yaw for p in pts], [p.a_pitch for p in pts], [p.a_looks for p in pts]),
            "B": ([p.b_yaw for p in pts], [p.b_pitch for p in pts], [p.b_looks for p in pts]),
        }
        for person, color in (("A", COLOR_A), ("B", COLOR_B)):
            yaw, pitch, looks = series[person]
            marker = "o" if person == "A" else "s"
            ax1.plot(x, yaw, color=color, lw=1.4, marker=marker, ms=3.5, label=f"{person} yaw")
            ax1.plot(
                x, pitch, color=color, lw=1.2, ls="--", marker=marker, ms=3.5, mfc="white", label=f"{person} pitch"
            )
            yrow = 1 if person == "A" else 0
            for i, v in enumerate(looks):
                if v is None:
                    continue
                ax3.plot([i], [yrow], marker=marker, ms=6, color=color, mfc=color if v else "white", mew=1.2)
        ax1.axhline(0, color="#bbbbbb", lw=0.6)
        ax1.set_ylabel("head yaw and pitch, degrees")
        ax3.set_ylim(-0.6, 1.6)
        ax3.set_yticks([0, 1])
        ax3.set_yticklabels(["B to A", "A to B"])
        ax3.set_title("looks toward the other", loc="left", fontsize=7)
        dist = np.array([p.distance_px for p in pts], dtype=float)
        ax2.plot(x, dist, color="#2ca02c", lw=1.4, marker="D", ms=3.5)
        ax2.set_ylabel("pixels")
        ax2.set_title("nose-to-nose distance", loc="left", fontsize=7)
        finite = dist[np.isfinite(dist)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            pad = max(5.0, 0.15 * (hi - lo))
            ax2.set_ylim(max(0.0, lo - pad), hi + pad)
        for ax in (ax1, ax2, ax3):
            ax.set_xticks(x)
            ax.set_xticklabels(labels, rotation=30 if len(pts) > 3 else 0)
            ax.set_xlim(-0.5, max(0.5, len(pts) - 0.5))
            ax.grid(axis="y", color="#e8e8e8", lw=0.5)
        ax1.set_xlabel("sample frame (decoded-frame index)")
        angles = np.array([v for p in pts for v in (p.a_yaw, p.a_pitch, p.b_yaw, p.b_pitch)], dtype=float)
        fin = angles[np.isfinite(angles)]
        if fin.size:
            lo, hi = float(fin.min()), float(fin.max())
            pad = max(5.0, 0.1 * (hi - lo))
            ax1.set_ylim(lo - pad, hi + pad)
        for i, p in enumerate(pts):
            if not p.has_pair:
                for ax in (ax1, ax2, ax3):
                    ax.axvspan(i - 0.4, i + 0.4, color="#eeeeee", lw=0, zorder=0)
                    ax.text(
                        i,
                        0.5,
                        "no pair",
                        transform=ax.get_xaxis_transform(),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="#666666",
                        rotation=90,
                    )
        ax1.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 1.02),
            ncol=4,
            frameon=False,
            borderaxespad=0.0,
            handlelength=2.2,
            columnspacing=1.0,
        )
        return _png(fig)


def keyframe_jpeg(path: str, max_width: int = 720, quality: int = 85) -> bytes | None:
    """A reduced JPEG copy of an image file (None when it cannot be read as an image)."""
    import cv2

    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        return None
    h, w = img.shape[:2]
    if w > max_width:
        img = cv2.resize(img, (max_width, max(1, round(h * max_width / w))), interpolation=cv2.INTER_AREA)
    ok, jpg = cv2.imencode(".jpg", img, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    return jpg.tobytes() if ok else None
