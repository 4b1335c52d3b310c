"""Embedding backends, one per file, chosen by `factory.build_embedder`."""
