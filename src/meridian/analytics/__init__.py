"""Reporting: an append-only report event log, per-conversation facts, additive rollups."""
