# Copyright (c) mmzs3 contributors. All rights reserved.
"""Worker processes of the concurrent-writer test.

They load ``text_embedding_cache.py`` by path, so a spawned worker imports
torch only (not the whole mmzs3/mmseg stack) and starts in seconds.
"""
import importlib.util
import os.path as osp

import numpy as np
import torch

_PATH = osp.join(
    osp.dirname(__file__), '..', '..', 'mmzs3', 'models', 'utils',
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
    """Load ``key`` repeatedly; report the values seen and torn reads."""
    cache = _cache_module().TextEmbeddingCache(root)
    seen, torn = set(), 0
    for _ in range(rounds):
        embedding = cache.load(key, dim)
        if embedding is None:
            continue
        values = np.unique(embedding.numpy())
        if len(values) != 1:
            torn += 1
        else:
            seen.add(float(values[0]))
    queue.put((sorted(seen), torn))
