"""Thin routers: parse, call services, shape the response."""
