"""Index: embed passages, store them in SQLite + FAISS generations, and search them."""
