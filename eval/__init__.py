"""Evaluation: QA benchmarks, metrics, reports and performance benchmarks."""
