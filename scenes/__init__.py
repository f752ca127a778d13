"""Scenes: camera config, sources, the rule engine, evidence and the per-camera pipeline."""
