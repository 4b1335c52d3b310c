"""Fakes for wiring tests (real servers speaking other programs' protocols)."""
