"""Compression chain: float -> pruned -> quantization-aware (sparsity preserving) -> exported."""
