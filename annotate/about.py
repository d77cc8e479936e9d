__title__ = "annotate-news"
__version__ = "0.1.0"
