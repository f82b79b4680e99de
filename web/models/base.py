"""Helpers shared by the model modules."""

from __future__ import annotations

from typing import Any


def include_in_partial_save(kwargs: dict[str, Any], field: str) -> None:
    """Add a derived column to save(update_fields=[...]), so a partial save keeps it in step."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and field not in update_fields:
        kwargs["update_fields"] = [*update_fields, field]
