"""Features: per-segment background removal, landmarks, head pose and distance (paper III.C-H)."""
