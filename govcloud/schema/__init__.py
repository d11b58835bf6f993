"""JSON Schemas of the blueprint kinds and validation that yields located findings."""
from govcloud.schema._validate import (
    KINDS,
    load_schema,
    packaged_schema,
    validate_document,
)

__all__ = ["KINDS", "load_schema", "packaged_schema", "validate_document"]
