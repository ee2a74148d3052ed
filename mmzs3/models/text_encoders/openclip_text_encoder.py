# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple, Union

import open_clip
import torch
import torch.nn.functional as F
from torch import Tensor

from mmzs3.registry import MODELS
from mmzs3.utils import check_class_names
from ..utils.frozen_clip_tower import FrozenOpenCLIPTower
from ..utils.text_embedding_cache import (CacheDirType, TextEmbeddingCache,
                                          entry_key, state_dict_digest)
from .templates import get_templates

TemplatesType = Union[str, Sequence[str]]
DEFAULT_MODEL_NAME = 'ViT-B-16'
_MemoKey = Tuple[str, Tuple[str, ...]]


@MODELS.register_module()
class OpenCLIPTextEncoder(FrozenOpenCLIPTower):
    """Frozen open_clip text tower producing prompt-ensembled class
    embeddings, as in `Decoupling Zero-Shot Semantic Segmentation
    <https://arxiv.org/abs/2112.07910>`_.

    A class name holding ``', '`` lists synonyms. Every template x synonym
    sentence is encoded and L2-normalised; the class embedding is their mean,
    L2-normalised again. Embeddings are memoised per (name, templates) in
    memory and on disk (:class:`TextEmbeddingCache`, keyed by the
    architecture, a digest of the weights, templates, name, precision and
    device), so changing the vocabulary only encodes new names.
    :meth:`_encode_uncached` is the single place that runs the tower.

    Args:
        model_name (str): open_clip architecture. Defaults to 'ViT-B-16'.
        pretrained (str, optional): Local weights file or open_clip tag,
            loaded in :meth:`init_weights`. Defaults to None (random).
        model_cfg (dict, optional): Architecture dict registered under
            ``model_name`` (for custom or tiny architectures).
            Defaults to None.
        templates (str | Sequence[str]): Template set name or list.
            Defaults to 'imagenet_select'.
        chunk_size (int): Sentences encoded per forward of the tower.
            Defaults to 256.
        cache_dir (bool | str, optional): On-disk embedding cache
            directory; None uses ``$MMZS3_TEXT_EMBEDDING_CACHE`` or
            ``~/.cache/mmzs3/text_embeddings``, False disables it.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 model_name: str = DEFAULT_MODEL_NAME,
                 pretrained: Optional[str] = None,
                 model_cfg: Optional[dict] = None,
                 templates: TemplatesType = 'imagenet_select',
                 chunk_size: int = 256,
                 cache_dir: CacheDirType = None,
                 init_cfg=None) -> None:
        if chunk_size < 1:
            raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
        super().__init__('text', model_name, pretrained, model_cfg,
                         init_cfg=init_cfg)
        self.templates = get_templates(templates)
        self.chunk_size = chunk_size
        self.embed_dim = self.embed_dim_of(
            dict(model_name=model_name, model_cfg=model_cfg))
        self._tokenizer = None
        self._memo: Dict[_MemoKey, Tensor] = {}
        #: Counts :meth:`clear_memo` calls, so that holders of embeddings
        #: (``VocabularyEncoder``) know when the weights changed.
        self.memo_version = 0
        self.text_cache = TextEmbeddingCache(cache_dir)
        self._weights_digest: Optional[str] = None
        self.register_load_state_dict_pre_hook(self._on_load_state_dict)

    @staticmethod
    def embed_dim_of(cfg: dict) -> int:
        """Embedding width of the encoder a config builds, without building
        it.

        Read from ``model_cfg`` if given, else from open_clip's table of
        architectures (no weights are read).

        Args:
            cfg (dict): An ``OpenCLIPTextEncoder`` config.

        Returns:
            int: The width ``D`` of the class embeddings.

        Raises:
            ValueError: If open_clip has no architecture ``model_name`` and
                the config gives no ``model_cfg``.
        """
        model_cfg = cfg.get('model_cfg')
        model_name = cfg.get('model_name', DEFAULT_MODEL_NAME)
        if model_cfg is None:
            model_cfg = open_clip.get_model_config(model_name)
        if model_cfg is None:
            raise ValueError(
                f'OpenCLIPTextEncoder: open_clip has no architecture '
                f'{model_name!r}; check text_encoder.model_name or give '
                'text_encoder.model_cfg')
        return int(model_cfg['embed_dim'])

    @property
    def device(self) -> torch.device:
        """torch.device: Where the tower's weights live."""
        return next(self.model.parameters()).device

    @property
    def tokenizer(self):
        """open_clip's tokenizer for ``model_name`` (built on first use)."""
        if self._tokenizer is None:
            self._tokenizer = open_clip.get_tokenizer(self.model_name)
        return self._tokenizer

    def init_weights(self) -> None:
        """Load ``pretrained`` into the text tower (if set) and forget the
        memoised embeddings."""
        super().init_weights()
        self.clear_memo()

    def clear_memo(self) -> None:
        """Forget memoised embeddings (call after changing the weights)."""
        self._memo.clear()
        self.memo_version += 1
        self._weights_digest = None

    @torch.no_grad()
    def encode(self,
               names: Sequence[str],
               templates: Optional[TemplatesType] = None) -> Tensor:
        """Prompt-ensembled embeddings of class names (memoised).

        Args:
            names (Sequence[str]): Class names (``', '`` separates
                synonyms).
            templates (str | Sequence[str], optional): Template set name or
                list. Defaults to None (``self.templates``).

        Returns:
            Tensor: float32 L2-normalised embeddings on the module's device,
            shape (K, D).

        Raises:
            ValueError: If ``names`` breaks the naming rule of
                :func:`mmzs3.utils.check_class_names` (checked before any
                sentence is tokenised).
        """
        names = check_class_names(names, 'names', allow_empty=True)
        templates = self.templates if templates is None else get_templates(
            templates)
        todo = list(dict.fromkeys(
            n for n in names if (n, templates) not in self._memo))
        if todo:
            embeddings = self._encode_with_cache(todo, templates)
            for name, embedding in zip(todo, embeddings):
                self._memo[(name, templates)] = embedding
        if not names:
            return torch.zeros(0, self.embed_dim, device=self.device)
        stacked = torch.stack([self._memo[(n, templates)] for n in names])
        return stacked.to(self.device)

    def _encode_with_cache(self, names: Sequence[str],
                           templates: Tuple[str, ...]) -> Tensor:
        """Embeddings from the disk cache; misses run the tower and are
        stored.

        Args:
            names (Sequence[str]): Distinct class names.
            templates (tuple[str]): Templates, each with one ``{}``.

        Returns:
            Tensor: float32 CPU embeddings, shape (K, D).
        """
        if not self.text_cache.enabled:
            return self._encode_uncached(names, templates).float().cpu()
        keys = [self._cache_key(name, templates) for name in names]
        found = [self.text_cache.load(key, self.embed_dim) for key in keys]
        missing = [i for i, emb in enumerate(found) if emb is None]
        if missing:
            computed = self._encode_uncached([names[i] for i in missing],
                                             templates).float().cpu()
            for i, embedding in zip(missing, computed):
                self.text_cache.save(keys[i], embedding)
                found[i] = embedding
        return torch.stack(found)

    def _cache_key(self, name: str, templates: Tuple[str, ...]) -> dict:
        """Disk-cache key; the weights are hashed once per weight load."""
        if self._weights_digest is None:
            self._weights_digest = state_dict_digest(self.model)
        dtype = next(self.model.parameters()).dtype
        return entry_key(self.model_name, self._weights_digest, templates,
                         name, str(dtype), self.device.type)

    def _encode_uncached(self, names: Sequence[str],
                         templates: Tuple[str, ...]) -> Tensor:
        """Run the text tower on every sentence of ``names`` (no memo).

        Args:
            names (Sequence[str]): Class names.
            templates (tuple[str]): Templates, each with one ``{}``.

        Returns:
            Tensor: L2-normalised class embeddings, shape (K, D).
        """
        sentences, owners = build_sentences(names, templates)
        device = self.device
        chunks = [
            self._encode_sentences(sentences[i:i + self.chunk_size], device)
            for i in range(0, len(sentences), self.chunk_size)
        ]
        owners = torch.tensor(owners, device=device)
        return average_per_class(torch.cat(chunks), owners, len(names))

    def _encode_sentences(self, sentences: List[str],
                          device: torch.device) -> Tensor:
        """L2-normalised embeddings of sentences, shape (N, D)."""
        tokens = self.tokenizer(sentences).to(device)
        features = self.model.encode_text(tokens).float()
        return F.normalize(features, dim=-1)

    def _on_load_state_dict(self, *args, **kwargs) -> None:
        """Weights are about to change: drop the memoised embeddings."""
        self.clear_memo()


def build_sentences(names: Sequence[str],
                    templates: Sequence[str]) -> Tuple[List[str], List[int]]:
    """Every template x synonym sentence of each class name.

    Args:
        names (Sequence[str]): Class names; ``', '`` separates synonyms.
        templates (Sequence[str]): Templates, each with one ``{}``.

    Returns:
        tuple[list[str], list[int]]: The sentences and, for each, the index
        of its class in ``names``.
    """
    sentences, owners = [], []
    for index, name in enumerate(names):
        for synonym in name.split(', '):
            for template in templates:
                sentences.append(template.format(synonym))
                owners.append(index)
    return sentences, owners


def average_per_class(embeddings: Tensor, owners: Tensor,
                      num_classes: int) -> Tensor:
    """Mean of L2-normalised sentence embeddings per class, normalised.

    Args:
        embeddings (Tensor): Normalised sentence embeddings, shape (N, D).
        owners (Tensor): Class index of each sentence, shape (N,).
        num_classes (int): Number of classes K.

    Returns:
        Tensor: L2-normalised class embeddings, shape (K, D).
    """
    sums = embeddings.new_zeros(num_classes, embeddings.shape[1])
    sums.index_add_(0, owners, embeddings)
    counts = torch.bincount(owners, minlength=num_classes).clamp(min=1)
    return F.normalize(sums / counts[:, None].to(sums.dtype), dim=-1)
