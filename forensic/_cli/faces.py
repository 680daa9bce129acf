"""forensic faces PATH [--frame N] [--json] [--out DIR] [--face-detector NAME]"""

from __future__ import annotations

import argparse
import json
import os

from forensic._cli.common import EXIT_OK, usage_error


def add_parser(sub) -> None:
    p = sub.add_parser(
        "faces",
        help="every face the tool finds in an image or one video frame",
        description="Find every face in an image, or in frame N of a video: its box, the detector's score, "
        "dlib's 68 landmarks, the paper's six points, head yaw and pitch (degrees; yaw > 0: turned toward "
        "the image's right, pitch > 0: up). Faces under 40 px wide are listed without landmarks. "
        "With --out, an annotated PNG is written there.",
    )
    p.add_argument("path", metavar="PATH", help="an image, or a video (see --frame)")
    p.add_argument("--frame", type=int, default=0, metavar="N", help="video frame, counting decoded frames from 0")
    p.add_argument("--json", action="store_true", help="print JSON (default: one line per face)")
    p.add_argument("--out", metavar="DIR", help="write the annotated picture faces_<name>.png into DIR")
    p.add_argument(
        "--face-detector",
        default="auto",
        choices=("auto", "dlib-hog", "blazeface", "mtcnn"),
        help="face detector (auto: blazeface, the best measured on real faces)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from forensic.features import DEFAULT_FACE_DETECTOR, FeatureConfig
    from forensic.features.examine import examine, load_picture, write_annotated
    from forensic.store.case import CaseFolderError, check_location

    if not os.path.isfile(args.path):
        return usage_error(f"no such file: {args.path}")
    detector = DEFAULT_FACE_DETECTOR if args.face_detector == "auto" else args.face_detector
    try:
        if args.out:
            check_location(os.path.abspath(args.out), [args.path])
        image = load_picture(args.path, args.frame)
        result = examine(image, FeatureConfig(face_detector=detector).face_finder())
        result.update(path=args.path, frame=args.frame)
        if args.out:
            stem = os.path.splitext(os.path.basename(args.path))[0]
            result["annotated"] = write_annotated(args.out, f"faces_{stem}_{args.frame:06d}.png", image, result)
    except (FileNotFoundError, ValueError, CaseFolderError) as exc:
        return usage_error(str(exc))
    if args.json:
        print(json.dumps(result, indent=1))
        return EXIT_OK
    print(f"{args.path} frame {args.frame}: {len(result['faces'])} face(s), {result['face_detector']}")
    for i, f in enumerate(result["faces"]):
        pose = (
            "no landmarks (too small)"
            if f["landmarks"] is None
            else (f"yaw {f['yaw']:+.1f} pitch {f['pitch']:+.1f}" if f["yaw"] is not None else "pose not solved")
        )
        print(f"  {i}: box {f['box']} ({f['width_px']} px) score {f['score']:.2f} {pose}")
    if args.out:
        print(f"annotated: {result['annotated']}")
    return EXIT_OK
