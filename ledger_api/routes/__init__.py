"""Thin route modules, one per noun; each parses, resolves the organisation and calls a service."""
