"""Grids over α × resolution, budgets, and the level engine that makes them fast."""
