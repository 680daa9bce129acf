"""Encoding: raw BGR frames piped into ffmpeg."""

from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np

ENCODINGS = {
    # name: (container extension, ffmpeg output arguments, quality option, quality range)
    "h264": ("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
    "mpeg4": ("-c:v", "mpeg4", "-pix_fmt", "yuv420p"),
    "mpeg2": ("-c:v", "mpeg2video", "-pix_fmt", "yuv420p"),
}


def codec_args(codec: str, quality: int) -> list[str]:
    if codec == "h264":
        return list(ENCODINGS["h264"]) + ["-crf", str(quality)]
    return list(ENCODINGS[codec]) + ["-q:v", str(quality)]


class Encoder:
    """Raw BGR frames piped into ffmpeg."""

    def __init__(
        self, path: str, size: tuple[int, int], fps, codec: str = "h264", quality: int = 23, extra: tuple[str, ...] = ()
    ):
        w, h = size
        fps = Fraction(fps).limit_denominator(1001)
        cmd = [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-s",
            f"{w}x{h}",
            "-r",
            f"{fps.numerator}/{fps.denominator}",
            "-i",
            "-",
            *codec_args(codec, quality),
            *extra,
            path,
        ]
        self.path = path
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, frame: np.ndarray) -> None:
        self.proc.stdin.write(np.ascontiguousarray(frame).tobytes())

    def close(self) -> None:
        self.proc.stdin.close()
        err = self.proc.stderr.read().decode(errors="replace")
        if self.proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not write {self.path}: {err.strip()[-2000:]}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            self.proc.kill()
            self.proc.wait()
