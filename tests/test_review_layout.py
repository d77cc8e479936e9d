"""annotate.review.layout is the pure word-wrap engine: it loads without Textual (its behaviour: test_review_app.py)."""

from __future__ import annotations

import subprocess
import sys


def test_review_layout_imports_no_textual():
    code = "import sys, annotate.review.layout; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
