"""Layer 3: the private cloud as Pulumi dynamic providers calling boto3, and the sandbox.

`types` is the catalogue of resource types (token, Resource class, inputs, outputs);
one module per service family implements them (`network`, `compute`, `storage`, `keys`,
`identity`, `messaging`, `dns`, `certificates`, `loadbalancing`, `logs`) on the shared
base in `provider`; `clients` builds the boto3 clients; `sandbox` runs the local emulator.
Nothing is imported here, so `import govcloud.cloud.types` stays cheap.
"""
