"""annotate: pre-annotate, review and export spans and themes in news text, on spaCy."""

from .about import __version__
from .errors import AnnotateError

__all__ = ["AnnotateError", "__version__"]
