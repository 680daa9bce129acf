"""The footage ``make demo`` scans (``forensic synth demo``)."""

from __future__ import annotations

import os
import tempfile

from forensic.synth.clips import make_clips
from forensic.synth.lavfi import Shot, make_clip
from forensic.synth.photos import face_images, two_people_image


def make_demo_footage(out_dir: str) -> list[str]:
    """The footage ``make demo`` scans: several files, formats, frame rates and cuts, a stream
    that does not start at 0, a variable frame rate, and an identical copy of one file; a picture
    of two people, still and then drifting sideways (neither is behaviour: both are ``still``)."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        faces = face_images(tmp)
        pair = two_people_image(tmp)
        a = os.path.join(out_dir, "camera1_multishot.mp4")
        make_clip(
            a,
            [
                Shot(f"image:{faces['astronaut']}", 175),
                Shot(f"still:{pair}", 150),
                Shot(f"drift:{pair}", 150),
                Shot("testsrc2", 100),
                Shot(f"image:{faces['grace_hopper']}", 275),
                Shot("color=c=navy", 50),
            ],
            fps=25,
            size=(640, 480),
        )
        written.append(a)
        b = os.path.join(out_dir, "camera2_vfr.mkv")
        make_clip(
            b,
            [Shot(f"image:{faces['grace_hopper']}", 150), Shot("smptebars", 120)],
            fps=30,
            size=(480, 360),
            vf="select='lt(n\\,90)+not(mod(n\\,3))'",
            output_args=("-fps_mode", "vfr"),
        )
        written.append(b)
        c = os.path.join(out_dir, "camera3_offset.ts")
        make_clip(
            c,
            [Shot("mandelbrot", 200)],
            fps=25,
            size=(320, 240),
            codec_args=("-c:v", "mpeg2video", "-q:v", "4"),
            output_args=("-output_ts_offset", "10"),
        )
        written.append(c)
    # two people: one stalking scene and one of people together (with their ground truth beside)
    written += make_clips(os.path.join(out_dir, "scenes"), per_class=1, seed=7)
    copies = os.path.join(out_dir, "copies")
    os.makedirs(copies, exist_ok=True)
    dup = os.path.join(copies, "camera1_multishot_copy.mp4")
    with open(a, "rb") as src, open(dup, "wb") as dst:
        dst.write(src.read())
    written.append(dup)
    return written
