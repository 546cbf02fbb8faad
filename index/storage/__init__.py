"""Storage: the SQLite + FAISS generation (schema, writer, reader), generations and their
switch, backup, the embedding cache and the storage seam (protocol.py). The only package
that imports sqlite3, sqlite_utils or faiss; imports nothing of index but errors."""
