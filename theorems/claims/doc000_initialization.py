"""Lecture 000, "Initialization" slides (000_7c5c639b47bbde7b.txt)."""
