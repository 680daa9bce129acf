"""Engines run the pipeline over every input: in-process (``local``); Ray comes in its own module."""
