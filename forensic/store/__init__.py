"""Store: the case folder and the provenance of each session."""
