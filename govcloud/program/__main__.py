"""`pulumi up -s <stack>`: Pulumi.yaml's `main` points here."""
import pulumi

from govcloud.program.entry import main

main(pulumi.get_stack())
