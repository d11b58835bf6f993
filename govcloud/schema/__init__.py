"""JSON Schemas of the blueprint kinds and validation that yields located findings."""
from govcloud.schema._validate import (
    KINDS,
    SchemaValidator,
    load_schema,
    packaged_schema,
    validate_document,
)
from govcloud.schema.patterns import PatternError, check_safe, compile_pattern

__all__ = ["KINDS", "PatternError", "SchemaValidator", "check_safe", "compile_pattern", "load_schema",
           "packaged_schema", "validate_document"]
