"""Closed-form counts on a graph: conventions, memory, model size, designs, published figures,
latency prediction. Pure Python: nothing here imports torch."""
