"""Frames in, tracked and classified objects out: fast, offline, on CPU."""
