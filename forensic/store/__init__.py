"""Store: the case folder (its session record comes from :mod:`forensic.provenance`)."""
