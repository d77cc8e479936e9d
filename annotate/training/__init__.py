"""Recipes that build the statistical models shipped in ``annotate/models/``."""
