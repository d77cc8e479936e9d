"""Data formats: merging decisions into examples, JSONL and DocBin export, imports from other tools."""
