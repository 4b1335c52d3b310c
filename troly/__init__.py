"""troly (trợ lý): a Vietnamese RAG assistant for commune officials."""

__version__ = "0.1.0"
