"""Footage made with ffmpeg: multi-shot clips with scene cuts at known frames.

Used by ``forensic synth demo`` (the demo footage) and by the tests. Each shot is an ffmpeg
source (a lavfi pattern, a colour, or a still picture panned across), trimmed to an exact
number of frames; shots are concatenated, so the cut frames are the running sums of the shot
lengths.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shot:
    """``source``: a lavfi source expression such as ``testsrc2`` or ``color=c=red``,
    ``image:PATH`` for a picture panned across the frame, or ``still:PATH`` for the whole
    picture fitted into the frame, not moving."""

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
    for i, shot in enumerate(shots):
        dur = shot.frames / float(_rate(fps)) + 1.0
        if shot.source.startswith("still:"):  # the whole picture, fitted into the frame, still
            inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{dur:.3f}", "-i", shot.source[6:]]
            fit = f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=gray"
            chains.append(
                f"[{i}:v]{fit},fps={fps},setsar=1,format=yuv420p,trim=end_frame={shot.frames},setpts=PTS-STARTPTS[s{i}]"
            )
        elif shot.source.startswith("image:"):
            inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{dur:.3f}", "-i", shot.source[6:]]
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
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", out_label,
           *codec_args, *output_args, path]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make {path}: {proc.stderr.strip()[-2000:]}")
    return path


def _rate(fps: int | str) -> float:
    if isinstance(fps, str) and "/" in fps:
        a, b = fps.split("/")
        return int(a) / int(b)
    return float(fps)


def face_images(folder: str) -> dict[str, str]:
    """Pictures of real faces that ship with the installed packages, written as PNG into
    ``folder``: scikit-image's astronaut and matplotlib's grace_hopper."""
    import cv2
    import matplotlib.cbook
    import skimage.data

    os.makedirs(folder, exist_ok=True)
    out = {}
    astronaut = os.path.join(folder, "astronaut.png")
    cv2.imwrite(astronaut, cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    out["astronaut"] = astronaut
    out["grace_hopper"] = str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return out


def two_people_image(folder: str, gap: int = 120) -> str:
    """astronaut (left) and grace_hopper (right) side by side on one grey canvas, as a PNG: two real
    faces in one picture, for footage with two people."""
    import cv2

    faces = face_images(folder)
    a = cv2.imread(faces["astronaut"])
    b = cv2.imread(faces["grace_hopper"])
    h = max(a.shape[0], b.shape[0])
    canvas = np.full((h, a.shape[1] + gap + b.shape[1], 3), 90, np.uint8)
    canvas[h - a.shape[0]:, : a.shape[1]] = a
    canvas[h - b.shape[0]:, a.shape[1] + gap:] = b
    path = os.path.join(folder, "two_people.png")
    cv2.imwrite(path, canvas)
    return path


def make_demo_footage(out_dir: str) -> list[str]:
    """The footage ``make demo`` scans: several files, formats, frame rates and cuts, a stream
    that does not start at 0, a variable frame rate, and an identical copy of one file."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        faces = face_images(tmp)
        pair = two_people_image(tmp)
        a = os.path.join(out_dir, "camera1_multishot.mp4")
        make_clip(
            a,
            [Shot(f"image:{faces['astronaut']}", 175), Shot(f"still:{pair}", 150), Shot("testsrc2", 100),
             Shot(f"image:{faces['grace_hopper']}", 275), Shot("color=c=navy", 50)],
            fps=25, size=(640, 480),
        )  # fmt: skip
        written.append(a)
        b = os.path.join(out_dir, "camera2_vfr.mkv")
        make_clip(
            b,
            [Shot(f"image:{faces['grace_hopper']}", 150), Shot("smptebars", 120)],
            fps=30, size=(480, 360),
            vf="select='lt(n\\,90)+not(mod(n\\,3))'",
            output_args=("-fps_mode", "vfr"),
        )  # fmt: skip
        written.append(b)
        c = os.path.join(out_dir, "camera3_offset.ts")
        make_clip(
            c, [Shot("mandelbrot", 200)], fps=25, size=(320, 240),
            codec_args=("-c:v", "mpeg2video", "-q:v", "4"), output_args=("-output_ts_offset", "10"),
        )  # fmt: skip
        written.append(c)
    from forensic.synth.scenes import make_clips

    # two people: one stalking scene and one of people together (with their ground truth beside)
    written += make_clips(os.path.join(out_dir, "scenes"), per_class=1, seed=7)
    copies = os.path.join(out_dir, "copies")
    os.makedirs(copies, exist_ok=True)
    dup = os.path.join(copies, "camera1_multishot_copy.mp4")
    with open(a, "rb") as src, open(dup, "wb") as dst:
        dst.write(src.read())
    written.append(dup)
    return written
