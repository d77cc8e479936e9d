"""Reliability suite: bad inputs, crashes, concurrency, offsets (issue 6).

``RELIABILITY_FULL=1`` runs the full figures (200 kills, 4 x 1,000 decisions,
the 5 MB pre-annotation); the default run is scaled down for CI.
"""
