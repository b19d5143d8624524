"""The event indexer and the read models: contract events projected into SQL with checkpoints.

``indexer`` (the loop, rewinds, read-your-writes hooks), ``models`` (tables), ``projections`` (one
function per event), ``queries`` (what the API reads), ``reconcile`` (comparison with the chain).
See docs/index.md. Nothing here decides a rule: the contracts do; the index records their outcome.
"""
