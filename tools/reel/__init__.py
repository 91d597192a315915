"""Reel's Python side: the reel-dit reference model, its data, training and export."""
