"""Lowerings: (stub, filled in by its family)."""
from __future__ import annotations
