# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Dict, Mapping, Sequence, Tuple, Union

from torch import Tensor, nn

from mmzs3.utils import check_class_names
from .templates import get_templates

TemplatesType = Union[str, Sequence[str]]
#: The branches of ZegFormer that classify against text embeddings: the
#: segment classifier of the mask head and the CLIP image branch.
BRANCHES = ('segment', 'clip')


class VocabularyEncoder:
    """Class embeddings of a vocabulary for each branch of a segmentor.

    The one place where class names become text embeddings: it holds a
    shared reference to the segmentor's text encoder (it is not a module
    and owns no weights) and the prompt templates of each branch; the
    segmentor passes the embeddings it returns to the decode head and to
    the CLIP image branch.

    The text encoder memoises each (name, templates) embedding; on top of
    that the last stacked tensor of each branch is kept, keyed by the class
    names, templates and device, so a sliding-window inference or a
    training run encodes and stacks a vocabulary once. It is dropped when
    the text encoder's weights change.

    Args:
        text_encoder (nn.Module): An ``OpenCLIPTextEncoder`` (shared).
        templates (Mapping[str, str | Sequence[str]]): Template set name or
            list of each branch in :data:`BRANCHES`; a branch left out uses
            the text encoder's ``templates``.
    """

    def __init__(self, text_encoder: nn.Module,
                 templates: Mapping[str, TemplatesType]) -> None:
        stray = sorted(set(templates) - set(BRANCHES))
        if stray:
            raise ValueError(f'VocabularyEncoder: unknown branches {stray}; '
                             f'choose from {BRANCHES}')
        self.text_encoder = text_encoder
        self.templates: Dict[str, Tuple[str, ...]] = {
            branch: get_templates(templates[branch])
            if branch in templates else text_encoder.templates
            for branch in BRANCHES
        }
        self._cache: Dict[str, Tuple[tuple, Tensor]] = {}

    def __call__(self,
                 names: Sequence[str],
                 branch: str = 'segment') -> Tensor:
        """L2-normalised class embeddings of ``names`` for ``branch``.

        Args:
            names (Sequence[str]): Class names (``', '`` separates
                synonyms); index ``i`` is class ``i``.
            branch (str): One of :data:`BRANCHES`. Defaults to 'segment'.

        Returns:
            Tensor: float32 embeddings on the text encoder's device, shape
            (K, D).
        """
        if branch not in BRANCHES:
            raise ValueError(f'VocabularyEncoder: branch must be one of '
                             f'{BRANCHES}, got {branch!r}')
        names = check_class_names(names, 'VocabularyEncoder names')
        templates = self.templates[branch]
        key = (names, templates, self.text_encoder.memo_version,
               self.text_encoder.device)
        cached = self._cache.get(branch)
        if cached is None or cached[0] != key:
            cached = (key, self.text_encoder.encode(names, templates))
            self._cache[branch] = cached
        return cached[1]
