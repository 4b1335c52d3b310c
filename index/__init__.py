"""Index stage: embed chunks, store vectors in FAISS, BM25 over Vietnamese syllables, hybrid search."""
