"""`annotate evaluate` (placeholder until the pipeline lands)."""
