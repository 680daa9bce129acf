"""forensic synth demo | clips | archive"""

from __future__ import annotations

import argparse
import os
import sys

from forensic._cli.common import EXIT_OK, EXIT_SOME_FAILED, add_batch_options, batch_of, seed_value, usage_error
from forensic.fsutil import folder_problem

FACES_HELP = (
    "also use the face photos in DIR (PNG, JPEG, ...): every picture in which dlib finds a face; "
    "exit 2 when it finds none"
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "synth",
        help="make footage (no download needed)",
        description="Generate footage with ffmpeg and pictures of faces that ship with packages.",
    )
    kinds = p.add_subparsers(dest="synth_command", metavar="KIND")
    demo = kinds.add_parser(
        "demo",
        help="the demo footage scanned by `make demo`",
        description="Write several multi-shot files (MP4 with one and two people, "
        "variable-frame-rate MKV, MPEG-TS starting at 11.4 s, an identical copy) into OUT.",
    )
    demo.add_argument("--out", required=True, metavar="DIR")
    demo.set_defaults(func=run_demo)

    clips = kinds.add_parser(
        "clips",
        help="labelled 3-8 s scenario clips for `forensic train`, with ground truth",
        description="Write N stalking and N non-stalking clips (3-8 s, MP4) into DIR/stalking and "
        "DIR/non_stalking, a ground-truth JSON beside each clip (scenario, per-frame positions, face "
        "sizes, head yaw and pitch of each person, face photos, seed) and DIR/clips.csv. People are real "
        "face photos re-posed in 3D on drawn bodies; the same seed gives the same frames.",
    )
    clips.add_argument("--out", required=True, metavar="DIR")
    clips.add_argument("--per-class", type=int, required=True, metavar="N", help="clips per class")
    clips.add_argument("--seed", type=seed_value, required=True, metavar="S")
    _jobs_option(clips, "render clips in N processes (the files are the same for any N; default 1)")
    add_batch_options(clips, "render the clips")
    _face_options(clips)
    clips.set_defaults(func=run_clips)

    archive = kinds.add_parser(
        "archive",
        help="long multi-scene footage with a ground-truth interval table",
        description="Write about M minutes of footage in several files (MP4, MKV, MPEG-TS, AVI, MOV; several "
        "frame rates and sizes) into DIR/footage: scenes separated by cuts, with nobody, one person, two "
        "people stalking and not; DIR/ground_truth.csv lists every scene's interval (file, start_s, end_s, "
        "scenario, label), DIR/ground_truth/FILE.json the per-frame detail.",
    )
    archive.add_argument("--out", required=True, metavar="DIR")
    archive.add_argument("--minutes", type=float, required=True, metavar="M")
    archive.add_argument("--seed", type=seed_value, required=True, metavar="S")
    _jobs_option(archive, "render the files in N processes (the files are the same for any N; default 1)")
    add_batch_options(archive, "render the files")
    _face_options(archive)
    archive.set_defaults(func=run_archive)
    p.set_defaults(func=lambda args, argv: p.print_help() or 2)


def _jobs_option(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--jobs", type=int, default=1, metavar="N", help=help_text)


def _face_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--faces", metavar="DIR", default=None, help=FACES_HELP)
    p.add_argument(
        "--no-default-faces",
        action="store_true",
        help="do not use the packaged faces (astronaut, grace_hopper): only those of --faces",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def _pool(args):
    """The face pool, once ``--out`` and the face options are found usable; else the exit code of
    the usage error, said on stderr."""
    from forensic.synth.scenes import FacePool

    if (why := folder_problem(args.out)) is not None:
        return usage_error(f"--out {why}")
    if args.no_default_faces and not args.faces:
        return usage_error("--no-default-faces needs --faces DIR")
    if args.faces is not None and not os.path.isdir(args.faces):
        return usage_error(f"--faces {args.faces}: no such folder")
    try:
        return FacePool(args.faces, default_faces=not args.no_default_faces)
    except ValueError as exc:
        return usage_error(str(exc))


def run_demo(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.synth.demo import make_demo_footage

    if (why := folder_problem(args.out)) is not None:
        return usage_error(f"--out {why}")
    for path in make_demo_footage(args.out):
        print(path)
    return EXIT_OK


def run_clips(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.synth.scenes import make_clips

    if args.per_class < 1:
        return usage_error("--per-class must be at least 1")
    return _render(args, lambda **kw: make_clips(args.out, args.per_class, args.seed, **kw), "clips.csv")


def _render(args: argparse.Namespace, make, index: str) -> int:
    """Run a generator (``make(pool=, progress=, jobs=, batch=)``) on the face pool and the batch of
    the options; what it could not make (the rest is written) is an error, exit 3."""
    if args.jobs < 1:
        return usage_error("--jobs must be at least 1")
    pool = _pool(args)
    if isinstance(pool, int):
        return pool
    show = None if args.quiet else print
    with batch_of(args) as batch:
        try:
            make(pool=pool, progress=show, jobs=args.jobs, batch=batch)
        except RuntimeError as exc:  # what could not be made (the rest is written)
            print(f"forensic: error: {exc}", file=sys.stderr)
            return EXIT_SOME_FAILED
    if not args.quiet:
        print(os.path.join(args.out, index))
    return EXIT_OK


def run_archive(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.synth.archive import check_minutes
    from forensic.synth.scenes import make_archive

    try:
        check_minutes(args.minutes)  # before the output folder or a pool is made
    except ValueError as exc:
        return usage_error(str(exc))
    return _render(args, lambda **kw: make_archive(args.out, args.minutes, args.seed, **kw), "ground_truth.csv")
