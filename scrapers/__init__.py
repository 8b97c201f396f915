"""Turns configured sources into article records: local files, feeds, pages, listings and search feeds."""
