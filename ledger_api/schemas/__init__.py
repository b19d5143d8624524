"""Request and response bodies (pydantic, camelCase on the wire through alias generators)."""
