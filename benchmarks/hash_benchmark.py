"""Hashing speed of the evidence read (forensic.intake.hashing.sha256_file: SHA-256, SHA-1 and MD5
from one read, MD5 in a second thread) against coreutils on the same file in the same run: the
three of them one after another (what an examiner would type) and sha256sum alone. The file is
read once first, so every contestant reads from the page cache (the CPU cost is what is compared).

    .venv/bin/python benchmarks/hash_benchmark.py [FILE] [--mb 1024] [--repeat 3]

Without FILE a file of random bytes is written to a temporary folder (and removed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forensic.intake.hashing import CHUNK, sha256_file  # noqa: E402


def one_thread(path: str) -> tuple[str, str, str]:
    """The previous implementation: the three digests one after another in this thread."""
    d, m, s = hashlib.sha256(), hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(CHUNK):
            d.update(chunk)
            m.update(chunk)
            s.update(chunk)
    return d.hexdigest(), m.hexdigest(), s.hexdigest()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?")
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = None
    path = args.file
    if path is None:
        tmp = tempfile.mkdtemp(prefix="forensic-hash-")
        path = os.path.join(tmp, "random.bin")
        with open(path, "wb") as f:
            for _ in range(args.mb):
                f.write(os.urandom(1 << 20))
    try:
        size_mb = os.path.getsize(path) / 2**20
        one_thread(path)  # into the page cache
        r = sha256_file(path)
        assert (r.sha256, r.md5, r.sha1) == one_thread(path)
        t_ours = best(lambda: sha256_file(path), args.repeat)
        t_one = best(lambda: one_thread(path), args.repeat)
        t_core3 = best(
            lambda: [
                subprocess.run([tool, path], check=True, capture_output=True)
                for tool in ("md5sum", "sha1sum", "sha256sum")
            ],
            args.repeat,
        )
        t_sha256sum = best(lambda: subprocess.run(["sha256sum", path], check=True, capture_output=True), args.repeat)
        out = {
            "file_mb": round(size_mb),
            "cpus": len(os.sched_getaffinity(0)),
            "forensic_MBps": round(size_mb / t_ours),
            "one_thread_MBps": round(size_mb / t_one),
            "coreutils_three_MBps": round(size_mb / t_core3),
            "sha256sum_MBps": round(size_mb / t_sha256sum),
            "forensic_vs_one_thread": round(t_one / t_ours, 2),
            "forensic_vs_coreutils_three": round(t_core3 / t_ours, 2),
            "forensic_vs_sha256sum_alone": round(t_sha256sum / t_ours, 2),
        }
        print(json.dumps(out, indent=2))
    finally:
        if tmp:
            os.remove(path)
            os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
