"""Step 1 of the data's way: read corpus files (load), cut pages into articles and repair paragraphs (clean), split
paragraphs into chunks (chunk); the library's own records (catalog: tombstones of deleted articles, audit log)."""
