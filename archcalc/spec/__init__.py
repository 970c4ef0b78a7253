"""Spec files: the schema, its field types, the catalog of built-in specs and their cache."""
