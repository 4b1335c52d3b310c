"""Ingest stage: load files, decode, clean web boilerplate, chunk with offsets."""
