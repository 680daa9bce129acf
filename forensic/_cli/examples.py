"""``--help`` examples of every command (the epilog), kept in one place so that they read alike."""

from __future__ import annotations

import argparse

EXAMPLES: dict[str, str] = {
    "": """examples:
  forensic scan footage/ --out cases/2026-001 --case-id 2026-001 --examiner "A. Examiner"
  forensic report cases/2026-001 --agency "Example Police"
  forensic verify cases/2026-001
  forensic COMMAND --help          every command's options and examples""",
    "scan": """examples:
  forensic scan footage/ --out cases/2026-001 --case-id 2026-001 --examiner "A. Examiner"
  forensic scan cam1.mp4 cam2.mkv --out cases/2026-002 --engine local      # in this process, no Ray
  forensic scan footage/ --out cases/2026-003 --address 10.0.0.5:6379 --workers 16
  forensic scan footage/ --out cases/2026-001                              # again: resumes the same scan
  forensic scan footage/ --out cases/2026-004 --log-json 2> progress.jsonl""",
    "segments": """examples:
  forensic segments clip.mp4                 # a table of the segments
  forensic segments clip.mp4 --json | jq '.[3]'""",
    "features": """examples:
  forensic segments clip.mp4                 # find the segment's index
  forensic features clip.mp4 --segment 3 --out /tmp/seg3""",
    "faces": """examples:
  forensic faces photo.jpg                   # one line per face: box, score, yaw, pitch
  forensic faces clip.mp4 --frame 120 --json --out /tmp/faces --face-detector dlib-hog""",
    "models": """examples:
  forensic models fetch                      # PixelLib's Mask R-CNN COCO weights into models/ (needs a network)""",
    "synth": """examples:
  forensic synth demo --out /tmp/demo-footage
  forensic synth clips --out /tmp/clips --per-class 20 --seed 1
  forensic synth archive --out /tmp/archive --minutes 30 --seed 1""",
    "report": """examples:
  forensic report cases/2026-001 --agency "Example Police"
  forensic report cases/2026-001 --clock-offset cam1.mp4=+3.5          # the camera clock was 3.5 s slow
  forensic report cases/2026-001 --clock-offset <sha256>=2026-03-01T09:30:00Z --top 0 --no-pdf""",
    "coappear": """examples:
  forensic coappear cases/2026-001
  forensic coappear cases/2026-001 --camera footage/cam1=north --camera footage/cam2=south""",
    "verify": """examples:
  forensic verify cases/2026-001             # exit 0: evidence, case folder and report all match their hashes""",
    "train": """examples:
  forensic synth clips --out /tmp/clips --per-class 20 --seed 1
  forensic train /tmp/clips --out models/mine --epochs 50
  forensic train DATASET --out models/vgg --architecture vgg16 --seed 7""",
    "evaluate": """examples:
  forensic evaluate DATASET                  # the default model (models/default)
  forensic evaluate DATASET --model models/mine --json
  forensic evaluate DATASET --ablation --out /tmp/table2 --epochs 20""",
}


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions wrapped as usual; an epilog that starts with ``examples:`` printed as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def add_examples(parser: argparse.ArgumentParser, name: str) -> None:
    text = EXAMPLES.get(name)
    if text and not parser.epilog:
        parser.epilog = text
        parser.formatter_class = HelpFormatter
