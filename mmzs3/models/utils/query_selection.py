# Copyright (c) mmzs3 contributors. All rights reserved.
"""Which queries the CLIP branch classifies in fast mode.

Fast mode sends only ``k`` queries through CLIP. They are chosen greedily
by segment score x mask area, passing over any query whose mask overlaps an
already chosen one (mask NMS), so the ``k`` crops show ``k`` different
segments. Every other query borrows the CLIP logits of the chosen query its
mask overlaps most, when that overlap reaches the same IoU threshold (it
is then a near-duplicate of a classified segment, as the identical masks
exact mode deduplicates are exact duplicates); the rest keep their
segment-branch probabilities. Nothing in mmdet or torchvision does
mask-IoU NMS on dense query masks, hence these few lines.
"""
from typing import List, Tuple

import torch
from torch import Tensor


def clip_query_ranks(cls_logits: Tensor, mask_logits: Tensor) -> Tensor:
    """Queries sorted by segment score x mask area, best first.

    The score is the highest class probability of the segment branch
    (no-object excluded); the area is the fraction of mask pixels with
    ``sigmoid > 0.5`` at the mask resolution. Queries ranked low change the
    semantic map ``sum_q P(q) * sigmoid(mask_q)`` least.

    Args:
        cls_logits (Tensor): Logits with no-object last, shape (B, Q, K + 1).
        mask_logits (Tensor): Mask logits, shape (B, Q, H, W).

    Returns:
        Tensor: Query indices, shape (B, Q).
    """
    score = cls_logits.softmax(dim=-1)[..., :-1].max(dim=-1).values
    area = (mask_logits > 0).flatten(2).float().mean(dim=-1)
    return (score * area).argsort(dim=1, descending=True, stable=True)


def binary_mask_iou(mask_logits: Tensor) -> Tensor:
    """Pairwise IoU of the binary masks ``mask_logits > 0``.

    Two empty masks have IoU 0.

    Args:
        mask_logits (Tensor): Mask logits, shape (B, Q, H, W).

    Returns:
        Tensor: IoU in [0, 1], shape (B, Q, Q).
    """
    binary = (mask_logits > 0).flatten(2).float()
    inter = binary @ binary.transpose(1, 2)
    area = binary.sum(dim=-1)
    union = area[:, :, None] + area[:, None, :] - inter
    return inter / union.clamp(min=1)


def select_diverse_queries(ranks: Tensor, iou: Tensor, k: int,
                           iou_thr: float) -> Tensor:
    """Greedy mask NMS: the first ``k`` queries by rank that overlap no
    query chosen before them with IoU >= ``iou_thr``.

    When fewer than ``k`` queries survive, the suppressed ones fill the
    remaining places in rank order.

    Args:
        ranks (Tensor): Query indices, best first, shape (B, Q).
        iou (Tensor): Pairwise mask IoU, shape (B, Q, Q).
        k (int): Number of queries to choose, ``1 <= k <= Q``.
        iou_thr (float): Overlap at which a query counts as a duplicate.

    Returns:
        Tensor: Chosen query indices in choice order, shape (B, k).
    """
    chosen = [
        _nms_order(order, overlap >= iou_thr)[:k]
        for order, overlap in zip(ranks.tolist(), iou.cpu())
    ]
    return torch.tensor(chosen, dtype=torch.long, device=ranks.device)


def _nms_order(order: List[int], duplicate: Tensor) -> List[int]:
    """Survivors of greedy NMS in rank order, then the suppressed ones."""
    kept: List[int] = []
    suppressed: List[int] = []
    for query in order:
        if kept and bool(duplicate[query, kept].any()):
            suppressed.append(query)
        else:
            kept.append(query)
    return kept + suppressed


def share_clip_sources(chosen: Tensor, iou: Tensor,
                       iou_thr: float) -> Tuple[Tensor, Tensor]:
    """For each query, the chosen query whose CLIP logits it uses.

    A chosen query uses its own; any other uses the chosen query its mask
    overlaps most (the better-ranked one on ties), if that IoU is at least
    ``iou_thr``; otherwise it is not covered.

    Args:
        chosen (Tensor): Chosen query indices, shape (B, k).
        iou (Tensor): Pairwise mask IoU, shape (B, Q, Q).
        iou_thr (float): Overlap at which a query counts as a duplicate.

    Returns:
        tuple[Tensor, Tensor]: ``source``, positions in ``chosen`` (0 to
        k - 1), shape (B, Q); ``covered``, True where the query takes CLIP
        logits, shape (B, Q).
    """
    overlap = iou.gather(
        2, chosen[:, None, :].expand(-1, iou.shape[1], -1))
    best, source = overlap.max(dim=-1)
    covered = best >= iou_thr
    own = torch.arange(chosen.shape[1], device=chosen.device)
    source = source.scatter(1, chosen, own.expand_as(chosen))
    covered = covered.scatter(1, chosen, True)
    return source, covered
