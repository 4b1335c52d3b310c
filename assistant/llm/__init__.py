"""Chat model backends behind the ChatModel seam."""
