"""Synthetic footage the project makes itself (no download): demo footage and test clips."""
