"""Quality figures per assignment (used by tools.benchmark)."""
