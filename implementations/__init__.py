"""Reference implementations of the objects the lecture documents reason about."""
