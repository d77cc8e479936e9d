"""`annotate review`: the review state (``session``), input loading (``loader``) and the Textual app (``app``)."""
