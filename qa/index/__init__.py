"""Step 2: the index. One Chinese tokenizer (tokens), embedders (embed, e5convert), the faiss and BM25 structures
(dense, bm25), the saved build and its manifest (store), the embedding cache (vectorcache), the writer lock (lock),
and building or updating it from a corpus (indexer)."""
