# Copyright (c) mmzs3 contributors. All rights reserved.
"""open_clip architectures given as config dicts.

open_clip keeps its architectures as JSON files in a registry that
``open_clip.add_model_config`` extends. mmzs3 configs carry small
architectures (the tiny CLIP of the synthetic benchmark) as a dict, the
``model_cfg`` argument of the CLIP-based modules. These helpers turn such a
dict into an open_clip model, a tokenizer, or a registered name, so that a
checkpoint of it loads through ``open_clip.create_model(name,
pretrained=path)`` exactly as a real one does.
"""
import json
import os
import os.path as osp
import tempfile
from copy import deepcopy
from typing import Optional

import open_clip
from torch import nn

#: Folder of the JSON files written by :func:`register_open_clip_arch`.
_REGISTERED_DIRS = {}


def resolve_open_clip_cfg(model_name: str,
                          model_cfg: Optional[dict] = None) -> dict:
    """The architecture dict of ``model_cfg``, or of a registered name.

    Args:
        model_name (str): An open_clip architecture name (``'ViT-B-16'``).
        model_cfg (dict, optional): The architecture (``embed_dim``,
            ``vision_cfg``, ``text_cfg``...) in open_clip's JSON layout; it
            takes precedence over the name. Defaults to None.

    Returns:
        dict: A deep copy of the architecture.

    Raises:
        KeyError: If ``model_cfg`` is None and open_clip does not know
            ``model_name``, or if the dict lacks a required key.
    """
    cfg = deepcopy(dict(model_cfg)) if model_cfg is not None else \
        open_clip.get_model_config(model_name)
    if cfg is None:
        raise KeyError(f'open_clip has no architecture "{model_name}" and '
                       'no model_cfg was given')
    missing = [k for k in ('embed_dim', 'vision_cfg', 'text_cfg')
               if k not in cfg]
    if missing:
        raise KeyError(f'model_cfg of "{model_name}" lacks {missing}')
    return cfg


def build_open_clip(model_cfg: dict) -> nn.Module:
    """Build an open_clip model with random weights from its architecture.

    The same classes and arguments as ``open_clip.create_model`` with
    ``pretrained=None``, without touching open_clip's name registry.

    Args:
        model_cfg (dict): The architecture, as from
            :func:`resolve_open_clip_cfg`.

    Returns:
        nn.Module: An ``open_clip.CLIP`` (or ``CustomTextCLIP``).
    """
    cfg = deepcopy(model_cfg)
    custom_text = cfg.pop('custom_text', False) or \
        'hf_model_name' in cfg['text_cfg']
    model_class = open_clip.CustomTextCLIP if custom_text else open_clip.CLIP
    return model_class(**cfg)


def build_open_clip_tokenizer(model_cfg: dict) -> open_clip.SimpleTokenizer:
    """open_clip's BPE tokenizer with the architecture's context length."""
    context = model_cfg['text_cfg'].get('context_length', 77)
    return open_clip.SimpleTokenizer(context_length=context)


def register_open_clip_arch(model_name: str, model_cfg: dict) -> None:
    """Register an architecture dict under a name in open_clip's registry.

    Writes ``<model_name>.json`` to a per-process temporary folder and adds
    the file with ``open_clip.add_model_config`` (which rescans every
    registered file). Registering a name again replaces its architecture.

    Args:
        model_name (str): The name ``open_clip.create_model`` will accept.
        model_cfg (dict): The architecture in open_clip's JSON layout.
    """
    cfg = resolve_open_clip_cfg(model_name, model_cfg)
    if os.getpid() not in _REGISTERED_DIRS:
        _REGISTERED_DIRS[os.getpid()] = tempfile.mkdtemp(
            prefix='mmzs3_open_clip_')
    folder = _REGISTERED_DIRS[os.getpid()]
    path = osp.join(folder, f'{model_name}.json')
    with open(path, 'w') as f:
        json.dump(cfg, f)
    open_clip.add_model_config(path)
