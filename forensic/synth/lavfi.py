"""Footage made with ffmpeg: multi-shot clips with scene cuts at known frames.

Used by ``forensic synth demo`` (the demo footage, :mod:`forensic.synth.demo`) and by the tests.
Each shot is an ffmpeg source (a lavfi pattern, a colour, or a still picture panned across), trimmed to an exact
number of frames; shots are concatenated, so the cut frames are the running sums of the shot
lengths.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np

from forensic.synth.photos import face_images, two_people_image

__all__ = ["Shot", "cut_frames", "face_images", "make_clip", "two_people_image"]


@dataclass(frozen=True)
class Shot:
    """``source``: a lavfi source expression such as ``testsrc2`` or ``color=c=red``,
    ``image:PATH`` for a picture panned across the frame, ``still:PATH`` for the whole
    picture fitted into the frame, not moving (a still segment), ``drift:PATH`` for the same
    picture drifting slowly sideways (w/16 pixels over the shot: frames that change, but only as a
    camera moving over a picture does, so still as a scene), or ``approach:PATH`` for the same picture
    whose right half (the second person of :func:`two_people_image`) slides w/16 pixels toward its
    left half (the first) over the shot: two people moving relative to each other."""

    source: str
    frames: int


def cut_frames(shots: list[Shot]) -> list[int]:
    """Decoded-frame indices where shots 2..n start."""
    return [int(x) for x in np.cumsum([s.frames for s in shots])[:-1]]


def make_clip(
    path: str,
    shots: list[Shot],
    fps: int | str = 25,
    size: tuple[int, int] = (320, 240),
    codec_args: tuple[str, ...] = ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50"),
    output_args: tuple[str, ...] = (),
    vf: str | None = None,
) -> str:
    """Write the concatenated shots to ``path`` and return it.

    ``vf``: a filter applied after concatenation (for instance a frame ``select`` that makes the
    frame rate variable). ``output_args``: extra ffmpeg output options (``-output_ts_offset 10``).
    """
    w, h = size
    inputs: list[str] = []
    chains: list[str] = []
    fit = f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=gray"
    d = max(8, w // 16)  # pixels a drifting picture, or an approaching person, moves over the shot
    for i, shot in enumerate(shots):
        dur = shot.frames / float(_rate(fps)) + 1.0
        picture = ["-loop", "1", "-framerate", str(fps), "-t", f"{dur:.3f}", "-i", shot.source.partition(":")[2]]
        if shot.source.startswith("still:"):  # the whole picture, fitted into the frame, still
            inputs += picture
            chains.append(
                f"[{i}:v]{fit},fps={fps},setsar=1,format=yuv420p,trim=end_frame={shot.frames},setpts=PTS-STARTPTS[s{i}]"
            )
        elif shot.source.startswith("drift:"):  # the whole picture, fitted into the frame, drifting sideways
            inputs += picture
            drift = (
                f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w + d}:{h}:(ow-iw)/2:(oh-ih)/2:color=gray,"
                f"crop={w}:{h}:x='{d}*n/{max(1, shot.frames - 1)}':y=0"
            )
            chains.append(
                f"[{i}:v]{drift},fps={fps},setsar=1,format=yuv420p,trim=end_frame={shot.frames},setpts=PTS-STARTPTS[s{i}]"
            )
        elif shot.source.startswith("approach:"):  # the right half slides toward the left half
            inputs += picture
            half = w // 2
            chains.append(
                f"[{i}:v]{fit},fps={fps},setsar=1,split[a{i}][b{i}];"
                f"[a{i}]crop={half}:{h}:0:0,pad={w}:{h}:0:0:color=gray[l{i}];"
                f"[b{i}]crop={w - half}:{h}:{half}:0[r{i}];"
                f"[l{i}][r{i}]overlay=x='{half}-{d}*n/{max(1, shot.frames - 1)}':y=0,"
                f"format=yuv420p,trim=end_frame={shot.frames},setpts=PTS-STARTPTS[s{i}]"
            )
        elif shot.source.startswith("image:"):
            inputs += picture
            # pan: a window of the picture sliding left to right
            cover = f"scale={int(w * 1.4)}:{int(h * 1.1)}:force_original_aspect_ratio=increase"
            pan = f"{cover},crop={w}:{h}:x='(in_w-{w})*n/{max(1, shot.frames - 1)}':y='(in_h-{h})/2'"
            chains.append(
                f"[{i}:v]{pan},fps={fps},setsar=1,format=yuv420p,trim=end_frame={shot.frames},setpts=PTS-STARTPTS[s{i}]"
            )
        else:
            src = shot.source + (":" if "=" in shot.source else "=")
            src += f"size={w}x{h}:rate={fps}"
            inputs += ["-f", "lavfi", "-i", src]
            chains.append(f"[{i}:v]setsar=1,format=yuv420p,trim=end_frame={shot.frames},setpts=PTS-STARTPTS[s{i}]")
    concat = "".join(f"[s{i}]" for i in range(len(shots))) + f"concat=n={len(shots)}:v=1:a=0[c]"
    graph = ";".join(chains + [concat])
    out_label = "[c]"
    if vf:
        graph += f";[c]{vf}[o]"
        out_label = "[o]"
    cmd = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        graph,
        "-map",
        out_label,
        *codec_args,
        *output_args,
        path,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make {path}: {proc.stderr.strip()[-2000:]}")
    return path


def _rate(fps: int | str) -> float:
    if isinstance(fps, str) and "/" in fps:
        a, b = fps.split("/")
        return int(a) / int(b)
    return float(fps)
