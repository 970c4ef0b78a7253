"""The model graph: α / resolution / knobs resolved into primitive nodes (ops, blocks, width rules)."""
