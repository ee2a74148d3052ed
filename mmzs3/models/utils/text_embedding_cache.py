# Copyright (c) mmzs3 contributors. All rights reserved.
"""On-disk cache of prompt-ensembled class embeddings.

One file per class name, keyed by everything that determines the
embedding: architecture, a digest of the text-tower weights, templates,
name, precision and device type. Files are written atomically
(:func:`mmzs3.utils.atomic_write`), so concurrent writers (ranks, jobs)
and crashes never expose a torn file; each file stores its key, and an
unreadable or mismatched entry is a miss (recomputed and overwritten),
never trusted.
"""
import hashlib
import json
import os
import os.path as osp
import warnings
from typing import Dict, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from mmzs3.utils.atomic_write import atomic_write

#: Environment variable overriding the cache directory; ``'off'``
#: disables the cache.
CACHE_ENV = 'MMZS3_TEXT_EMBEDDING_CACHE'
#: Format version stored in every key; bump it to invalidate old entries.
CACHE_VERSION = 1

CacheDirType = Union[bool, str, None]


def default_cache_dir() -> Optional[str]:
    """``$MMZS3_TEXT_EMBEDDING_CACHE`` or ``~/.cache/mmzs3/text_embeddings``.

    Returns:
        str, optional: The directory, or None if the variable is ``'off'``.
    """
    env = os.environ.get(CACHE_ENV)
    if env is not None and env.strip().lower() in ('off', '0', 'none', ''):
        return None
    if env:
        return osp.expanduser(env)
    return osp.join(
        osp.expanduser('~'), '.cache', 'mmzs3', 'text_embeddings')


def state_dict_digest(module: Union[nn.Module, Dict[str, Tensor]]) -> str:
    """SHA-256 of a state dict: every key, dtype, shape and raw bytes.

    Args:
        module (nn.Module | dict[str, Tensor]): Module or state dict.

    Returns:
        str: Hex digest.
    """
    state = module.state_dict() if isinstance(module, nn.Module) else module
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().cpu().contiguous()
        digest.update(f'{key}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return digest.hexdigest()


def entry_key(arch: str, weights: str, templates: Sequence[str], name: str,
              precision: str, device: str) -> dict:
    """The key of one class name's embedding.

    Args:
        arch (str): open_clip architecture name.
        weights (str): Digest of the text-tower weights.
        templates (Sequence[str]): Templates of the prompt ensemble.
        name (str): Class name (``', '`` separates synonyms).
        precision (str): Dtype the tower runs in, e.g. ``'torch.float32'``.
        device (str): Device type, e.g. ``'cpu'``.

    Returns:
        dict: A JSON-able key.
    """
    return dict(
        version=CACHE_VERSION,
        arch=arch,
        weights=weights,
        templates=list(templates),
        name=name,
        precision=precision,
        device=device)


class TextEmbeddingCache:
    """Directory of per-name text embeddings.

    Args:
        cache_dir (bool | str, optional): Directory; None or True means
            :func:`default_cache_dir`. False disables the cache.
            Defaults to None.
    """

    def __init__(self, cache_dir: CacheDirType = None) -> None:
        if cache_dir is None or cache_dir is True:
            cache_dir = default_cache_dir()
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir else None
        self._warned = False

    @property
    def enabled(self) -> bool:
        """bool: Whether a directory is configured."""
        return self.cache_dir is not None

    def path(self, key: dict) -> str:
        """File of ``key``: ``<dir>/<h[:2]>/<h>.pt`` with ``h`` its SHA-256.
        """
        text = json.dumps(key, sort_keys=True, ensure_ascii=True)
        digest = hashlib.sha256(text.encode()).hexdigest()
        return osp.join(self.cache_dir, digest[:2], f'{digest}.pt')

    def load(self, key: dict, dim: Optional[int] = None) -> Optional[Tensor]:
        """The stored embedding of ``key``, or None on a miss.

        A missing, unreadable, torn or mismatched file is a miss.

        Args:
            key (dict): See :func:`entry_key`.
            dim (int, optional): Expected embedding size D. Defaults to None
                (any).

        Returns:
            Tensor, optional: float32 embedding, shape (D, ).
        """
        if not self.enabled:
            return None
        try:
            entry = torch.load(
                self.path(key), map_location='cpu', weights_only=True)
        except Exception:  # missing, torn or foreign: recompute
            return None
        if not _valid_entry(entry, key, dim):
            return None
        return entry['embedding']

    def save(self, key: dict, embedding: Tensor) -> None:
        """Store an embedding atomically; I/O errors only warn.

        Args:
            key (dict): See :func:`entry_key`.
            embedding (Tensor): Embedding, shape (D, ).
        """
        if not self.enabled:
            return
        path = self.path(key)
        entry = dict(key=key, embedding=embedding.detach().float().cpu()
                     .clone())
        try:
            with atomic_write(path) as f:
                torch.save(entry, f)
        except OSError as error:
            if not self._warned:
                warnings.warn(f'TextEmbeddingCache: cannot write '
                              f'{self.cache_dir!r} ({error}); embeddings '
                              'are not cached')
                self._warned = True


def _valid_entry(entry, key: dict, dim: Optional[int]) -> bool:
    """Whether a loaded entry holds ``key`` and a finite (D, ) embedding."""
    if not isinstance(entry, dict) or entry.get('key') != key:
        return False
    embedding = entry.get('embedding')
    return (isinstance(embedding, Tensor) and embedding.dim() == 1
            and (dim is None or embedding.numel() == dim)
            and embedding.dtype == torch.float32
            and bool(torch.isfinite(embedding).all()))
