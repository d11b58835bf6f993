"""`govcloud schema`: print a blueprint JSON Schema for editors."""
from __future__ import annotations

import json
from enum import Enum
from typing import Annotated

import typer

from govcloud.cli.context import handles_errors
from govcloud.schema import load_schema


class Kind(str, Enum):
    Department = "Department"
    City = "City"
    # The city's registers beside city.yaml (blueprints/city/).
    Grants = "Grants"
    Approvals = "Approvals"
    Projects = "Projects"
    MlpsRecords = "MlpsRecords"


@handles_errors
def schema_command(
    kind: Annotated[Kind, typer.Option(
        "--kind", "-k", help="Which document kind: a blueprint or one of the city's registers.")] = Kind.Department,
) -> None:
    """Print the JSON Schema of a blueprint or register kind (for editor completion and tooltips).

    Example — save it and point your editor at it from a blueprint's first line:

        govcloud schema --kind Department > .govcloud/department.schema.json

        # yaml-language-server: $schema=../../.govcloud/department.schema.json
    """
    typer.echo(json.dumps(load_schema(kind.value), ensure_ascii=False, indent=2))
