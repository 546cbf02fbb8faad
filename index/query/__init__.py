"""Querying: the search request, lexical analysis, BM25, fusion, the result set, clause
choice and presentation. Reads storage only through index.storage.protocol's methods."""
