# Copyright (c) mmzs3 contributors. All rights reserved.
"""Worker processes of the concurrent-writer test.

They load ``text_embedding_cache.py`` by path, so a spawned worker imports
torch only (not the whole mmzs3/mmseg stack) and starts in seconds.
"""
import importlib.util
import os.path as osp
import time

import numpy as np
import torch

_PATH = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'mmzs3', 'models', 'utils',
    'text_embedding_cache.py')


def _cache_module():
    spec = importlib.util.spec_from_file_location('_text_cache', _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def writer(root: str, key: dict, value: float, dim: int,
           rounds: int) -> None:
    """Save ``full(dim, value)`` under ``key`` ``rounds`` times."""
    cache = _cache_module().TextEmbeddingCache(root)
    for _ in range(rounds):
        cache.save(key, torch.full((dim, ), float(value)))


def reader(root: str, key: dict, dim: int, rounds: int, queue) -> None:
    """Load ``key`` ``rounds`` times once it first exists (waiting at most
    a minute for it); report the values seen and the torn reads.

    A read is torn when it gives mixed values, or when it misses after an
    earlier read found the entry: with atomic writes the file, once there,
    is always complete, so only a write in place makes a later read fail.
    """
    cache = _cache_module().TextEmbeddingCache(root)
    seen, torn, reads = set(), 0, 0
    deadline = time.monotonic() + 60
    while reads < rounds and (seen or time.monotonic() < deadline):
        embedding = cache.load(key, dim)
        if embedding is None:
            torn += int(bool(seen))
            reads += int(bool(seen))
            time.sleep(0.005)
            continue
        values = np.unique(embedding.numpy())
        if len(values) != 1:
            torn += 1
        else:
            seen.add(float(values[0]))
        reads += 1
    queue.put((sorted(seen), torn))
