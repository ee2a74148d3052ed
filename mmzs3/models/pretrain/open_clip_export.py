# Copyright (c) mmzs3 contributors. All rights reserved.
"""Turn an mmengine checkpoint of an open_clip model into open_clip's form.
"""
import json
import os.path as osp
from collections import OrderedDict
from typing import Dict, Sequence

import torch

from mmzs3.utils.atomic_write import atomic_write

#: File names of open_clip's ``local-dir:`` layout.
OPEN_CLIP_WEIGHTS = 'open_clip_pytorch_model.bin'
OPEN_CLIP_CONFIG = 'open_clip_config.json'


def open_clip_state_dict(checkpoint: dict,
                         prefix: str = 'clip.') -> Dict[str, torch.Tensor]:
    """The open_clip weights held under ``prefix`` in an mmengine checkpoint.

    Args:
        checkpoint (dict): A checkpoint as saved by mmengine's runner (with
            a ``state_dict`` key) or a bare state dict.
        prefix (str): Prefix of the open_clip module's keys, i.e. its
            attribute name in the mmengine model plus a dot.
            Defaults to 'clip.'.

    Returns:
        dict[str, torch.Tensor]: The state dict with the prefix removed, in
        the checkpoint's key order.

    Raises:
        KeyError: If no key starts with ``prefix``.
    """
    state = checkpoint.get('state_dict', checkpoint)
    out = OrderedDict((key[len(prefix):], value)
                      for key, value in state.items()
                      if key.startswith(prefix))
    if not out:
        raise KeyError(f'no weights under "{prefix}" in the checkpoint '
                       f'(first keys: {list(state)[:3]})')
    return out


def save_open_clip(state_dict: Dict[str, torch.Tensor], model_cfg: dict,
                   out_dir: str, mean: Sequence[float],
                   std: Sequence[float]) -> str:
    """Write weights and architecture in open_clip's ``local-dir:`` layout.

    ``out_dir/open_clip_pytorch_model.bin`` (the file name open_clip looks
    for first) is a plain state dict, loadable with
    ``open_clip.create_model(name, pretrained=path)`` once the architecture
    is registered under ``name``; the whole folder loads with
    ``open_clip.create_model('local-dir:' + out_dir)``.

    Args:
        state_dict (dict[str, torch.Tensor]): open_clip weights.
        model_cfg (dict): The architecture in open_clip's JSON layout.
        out_dir (str): Output folder (created if needed).
        mean (Sequence[float]): Image mean of the preprocessing, 0-1 RGB.
        std (Sequence[float]): Image std of the preprocessing, 0-1 RGB.

    Returns:
        str: Path of the weights file.
    """
    weights = osp.join(out_dir, OPEN_CLIP_WEIGHTS)
    tensors = OrderedDict((k, v.detach().cpu().contiguous())
                          for k, v in state_dict.items())
    with atomic_write(weights) as f:
        torch.save(tensors, f)
    preprocess_cfg = dict(
        size=model_cfg['vision_cfg']['image_size'],
        mean=list(mean),
        std=list(std))
    with atomic_write(osp.join(out_dir, OPEN_CLIP_CONFIG), 'w') as f:
        json.dump(
            dict(model_cfg=model_cfg, preprocess_cfg=preprocess_cfg),
            f,
            indent=2)
    return weights
