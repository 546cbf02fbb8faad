"""Text at the bottom: the matching normaliser, sentence splitting and structural markers
(articles, items, abbreviations), shared by ingest, clause choice and enrichment."""
