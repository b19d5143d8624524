"""Pure domain: codes mirroring the Solidity enums, value objects and the error catalogue.

Imports nothing of the project's other packages and no chain, SQL or HTTP library.
"""
