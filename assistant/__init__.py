"""Assistant stage: LLM backends, the grounded answer pipeline, citations and verification."""
