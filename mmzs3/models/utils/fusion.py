# Copyright (c) mmzs3 contributors. All rights reserved.
"""Score fusion and semantic inference of ZegFormer.

The official formulas and λ, γ values are listed in
docs/official_implementation.md.
"""
from typing import Optional

import torch
from torch import Tensor

FUSION_MODES = ('fused', 'seg', 'img', 'fuse_all')


def segment_class_probs(seg_logits: Tensor) -> Tensor:
    """Class probabilities of the segment branch alone (ZegFormer-seg).

    Args:
        seg_logits (Tensor): Segment-classifier logits with the no-object
            logit last, shape (B, Q, K + 1).

    Returns:
        Tensor: ``softmax(seg_logits)`` without the no-object column,
        shape (B, Q, K).
    """
    return seg_logits.softmax(dim=-1)[..., :-1]


def fuse_class_probs(seg_logits: Tensor,
                     clip_logits: Optional[Tensor],
                     seen_mask: Tensor,
                     mode: str = 'fused',
                     lam: float = 2 / 3) -> Tensor:
    """Class probabilities of each query from the two branches.

    With ``p = softmax(seg_logits)[..., :K]`` and
    ``p' = softmax([clip_logits, seg_logits[..., -1:]])[..., :K]`` (the
    segment head's no-object logit is appended to the CLIP logits):

    - ``'fused'`` (ZegFormer): seen ``p^lam * mean_seen(p')^(1-lam)`` with
      the per-query mean of ``p'`` over seen classes, unseen
      ``p^(1-lam) * p'^lam``;
    - ``'fuse_all'``: ``p^(1-lam) * p'^lam`` for every class;
    - ``'img'`` (ZegFormer-img): ``p'``;
    - ``'seg'`` (ZegFormer-seg): ``p``.

    No renormalisation; the no-object column is dropped.

    Args:
        seg_logits (Tensor): Segment-classifier logits with the no-object
            logit last, shape (B, Q, K + 1).
        clip_logits (Tensor, optional): CLIP image-branch logits, shape
            (B, Q, K). Only ``'seg'`` accepts None.
        seen_mask (Tensor): Boolean, True for seen classes, shape (K,).
        mode (str): ``'fused'``, ``'seg'``, ``'img'`` or ``'fuse_all'``.
            Defaults to ``'fused'``.
        lam (float): The balance λ. Defaults to 2/3.

    Returns:
        Tensor: Class probabilities, shape (B, Q, K).
    """
    if mode not in FUSION_MODES:
        raise ValueError(
            f'fusion mode must be one of {FUSION_MODES}, got {mode!r}')
    p = segment_class_probs(seg_logits)
    if mode == 'seg':
        return p
    if clip_logits is None:
        raise ValueError(f'fusion mode {mode!r} needs clip_logits')
    clip_logits = clip_logits.to(seg_logits.dtype)
    p_img = torch.cat([clip_logits, seg_logits[..., -1:]],
                      dim=-1).softmax(dim=-1)[..., :-1]
    if mode == 'img':
        return p_img
    unseen_score = p**(1 - lam) * p_img**lam
    if mode == 'fuse_all':
        return unseen_score
    seen_mask = seen_mask.to(device=p.device, dtype=torch.bool)
    if not bool(seen_mask.any()):
        return unseen_score
    mean_seen = p_img[..., seen_mask].mean(dim=-1, keepdim=True)
    seen_score = p**lam * mean_seen**(1 - lam)
    return torch.where(seen_mask, seen_score, unseen_score)


def semantic_inference(cls_probs: Tensor, mask_logits: Tensor) -> Tensor:
    """Per-class maps ``sum_q P(q, c) * sigmoid(mask_q)``.

    Args:
        cls_probs (Tensor): Class probabilities, shape (B, Q, K).
        mask_logits (Tensor): Mask logits, shape (B, Q, H, W).

    Returns:
        Tensor: Semantic maps, shape (B, K, H, W).
    """
    return torch.einsum('bqk,bqhw->bkhw', cls_probs, mask_logits.sigmoid())


def calibrate_seen(seg_maps: Tensor, seen_mask: Tensor,
                   gamma: float) -> Tensor:
    """Subtract the calibration γ from the maps of seen classes.

    Args:
        seg_maps (Tensor): Semantic maps, shape (B, K, H, W).
        seen_mask (Tensor): Boolean, True for seen classes, shape (K,).
        gamma (float): The calibration γ.

    Returns:
        Tensor: Calibrated maps, shape (B, K, H, W).
    """
    offset = seen_mask.to(device=seg_maps.device, dtype=seg_maps.dtype)
    return seg_maps - gamma * offset.view(1, -1, 1, 1)
