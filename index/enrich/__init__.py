"""Build-time enrichment: duplicate groups, topics and cross-language parallels, computed
once so search only reads columns. Imports index.model (topic vectors) and ingest."""
