"""Step 3: retrieval. Dense and BM25 rankings of one index, fused into ranked paragraph hits (retriever)."""
