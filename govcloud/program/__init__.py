"""Layer 3: the Pulumi program — ComponentResources built from the desired graph — and stack configs."""
from govcloud.program.components import KINDS, City, Department, GovComponent, OATenant, SiteTenant, System
from govcloud.program.entry import load_blueprints, stack_program
from govcloud.program.program import Deployment, ResourceFactory, catalogue_factory, deploy, make_program
from govcloud.program.stackconfig import StackConfig, available_stacks, load_stack_config

__all__ = [
    "KINDS", "City", "Department", "Deployment", "GovComponent", "OATenant", "ResourceFactory",
    "SiteTenant", "StackConfig", "System", "available_stacks", "catalogue_factory", "deploy",
    "load_blueprints", "load_stack_config", "make_program", "stack_program",
]
