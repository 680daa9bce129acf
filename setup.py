"""Packaging beyond pyproject.toml: a wheel carries the report templates and the shipped models.

The top-level ``templates/`` and ``models/default/`` (and ``models/mediapipe/``) stay the source;
building a wheel copies them into ``forensic/_data/``, where :mod:`forensic.resources` finds them in
an installed package. Editable installs (``pip install -e .``, what ``make setup`` does) copy
nothing: they read the checkout's folders. Anything else in ``models/`` (Mask R-CNN weights, a
feature cache) is not shipped.
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
# (source folder in the checkout, destination inside the package)
DATA = (
    ("templates", "templates"),
    (os.path.join("models", "default"), os.path.join("models", "default")),
    (os.path.join("models", "mediapipe"), os.path.join("models", "mediapipe")),
)
SKIP = shutil.ignore_patterns(".*", "__pycache__", "*.pyc")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for src, dst in DATA:
            source = os.path.join(HERE, src)
            if os.path.isdir(source):
                target = os.path.join(self.build_lib, "forensic", "_data", dst)
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=SKIP)


setup(cmdclass={"build_py": BuildPyWithData})
