"""Notes 002, "Lecture 12" handwritten notes (002_1f3d2f34a8594b59.txt)."""
