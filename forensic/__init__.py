"""forensic: batch forensic video analysis.

Pipeline: intake (discover, hash, probe) -> segments (scene cuts, windows, frame sampling) ->
features -> model -> engine (local or Ray) -> store (case folder) -> report.
"""

__version__ = "0.1.0"
