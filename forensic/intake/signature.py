"""Does a file claim to be video? By its extension or by its container signature."""

from __future__ import annotations

import os

VIDEO_EXTENSIONS = frozenset(
    ".3g2 .3gp .264 .265 .asf .avi .dav .divx .dv .f4v .flv .h264 .h265 .hevc .m1v .m2t .m2ts .m2v "
    ".m4v .mjpeg .mjpg .mkv .mod .mov .mp4 .mpe .mpeg .mpg .mts .mxf .nsv .ogv .qt .rm .rmvb .ts "
    ".tod .vob .webm .wmv .wtv .y4m .yuv".split()
)


def sniff(head: bytes) -> str | None:
    """Name of the video container whose signature starts ``head``, or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "isobmff"  # MP4, MOV, 3GP, M4V
    if len(head) >= 12 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        # old QuickTime files start with other boxes; a plausible box size keeps text such as
        # "The free ..." from passing for one
        size = int.from_bytes(head[0:4], "big")
        if size == 1 or 8 <= size < (1 << 24):
            return "isobmff"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"  # MKV, WebM
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"AVIX"):
        return "avi"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "asf"  # WMV, ASF
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "mpeg-ps"
    if head.startswith(b"YUV4MPEG2"):
        return "y4m"
    if head.startswith(b"\x06\x0e\x2b\x34"):
        return "mxf"
    if len(head) >= 3 * 188 and all(head[i * 188] == 0x47 for i in range(3)):
        return "mpeg-ts"
    if len(head) >= 3 * 192 and all(head[4 + i * 192] == 0x47 for i in range(3)):
        return "m2ts"
    if head.startswith(b"\x00\x00\x00\x01") or head.startswith(b"\x00\x00\x01\xb3"):
        return "elementary-stream"  # raw H.264/H.265 Annex B, or MPEG video
    return None


def claims_video(path: str, head: bytes) -> tuple[bool, str | None]:
    """(claims to be video, signature name). Either the extension or the signature suffices."""
    sig = sniff(head)
    return (os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS or sig is not None), sig
