"""JSON Schemas of the blueprint kinds and validation that yields located findings."""
from typing import Any

from govcloud.schema._validate import (
    KINDS,
    load_schema,
    packaged_schema,
    schema_validator,
    validate_document,
)
from govcloud.schema.patterns import PatternError, check_safe, compile_pattern


def __getattr__(name: str) -> Any:
    if name == "SchemaValidator":  # jsonschema's class, imported on first use
        return schema_validator()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KINDS", "PatternError", "SchemaValidator", "check_safe", "compile_pattern", "load_schema",
           "packaged_schema", "schema_validator", "validate_document"]
