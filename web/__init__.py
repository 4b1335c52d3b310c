"""HTTP API (FastAPI) and the embeddable widget."""
