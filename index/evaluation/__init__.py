"""Retrieval evaluation on BEIR-format sets through the product's own build and search.
The top of index: may import build, query, storage and model."""
