"""`annotate pre` (placeholder until the pipeline lands)."""
