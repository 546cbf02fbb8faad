"""Ingest: load, clean, detect language, find structure and split policy texts into passages."""
