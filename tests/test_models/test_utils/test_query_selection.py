# Copyright (c) mmzs3 contributors. All rights reserved.
import importlib.util
import json
import os.path as osp
import sys

import torch
import torch.nn.functional as F

from mmzs3.models.utils import (binary_mask_iou, clip_query_ranks,
                                fuse_class_probs, select_diverse_queries,
                                share_clip_sources, unique_masks)
from mmzs3.registry import MODELS

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
TINY_JSON = osp.join(REPO, 'tests', 'data', 'openclip_tiny.json')
sys.path.insert(0, osp.join(REPO, 'tests', 'test_models', 'test_segmentors'))
from tiny_zegformer import ALL, build_tiny_model  # noqa: E402


def load_benchmark():
    path = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark.py')
    spec = importlib.util.spec_from_file_location('mmzs3_benchmark', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_classifier(**kwargs):
    with open(TINY_JSON) as f:
        cfg = json.load(f)
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='CLIPSegmentClassifier', model_name='mmzs3-tiny-test',
             model_cfg=cfg, **kwargs))


def make_masks():
    """12 queries at 16x16: 3 empty, a single row, 2 identical pairs."""
    torch.manual_seed(5)
    masks = torch.full((1, 12, 16, 16), -8.)
    masks[0, 3, 5] = 8.  # one row: degenerate box, whole image
    masks[0, 4, 2:9, 3:12] = 8.
    masks[0, 5] = masks[0, 4]  # duplicate
    masks[0, 6] = torch.randn(16, 16) * 4
    masks[0, 7, 8:, :] = 8.
    masks[0, 8] = masks[0, 7]  # duplicate
    masks[0, 9] = 8.
    masks[0, 10, :4, :4] = 8.
    masks[0, 11] = torch.randn(16, 16) * 4
    return masks  # queries 0, 1, 2 stay empty


def count_crops(classifier):
    counts = []
    original = classifier.model.encode_image

    def wrapped(crops, *args, **kwargs):
        counts.append(len(crops))
        return original(crops, *args, **kwargs)

    classifier.model.encode_image = wrapped
    return counts


def test_exact_matches_all_queries_reference():
    bench = load_benchmark()
    torch.manual_seed(2)
    image = torch.randn(1, 3, 64, 48)
    masks = make_masks()
    text = F.normalize(torch.randn(5, 16), dim=-1)
    for chunk in (1, 3, 32):
        classifier = build_classifier(chunk_size=chunk)
        counts = count_crops(classifier)
        exact = classifier(image, masks, text)
        classifier.model.encode_image = type(
            classifier.model).encode_image.__get__(classifier.model)
        reference = bench.reference_clip_logits(classifier, image, masks,
                                                text)
        # 12 queries, 8 distinct masks (3 empty -> 1, two duplicate pairs)
        assert sum(counts) == 8
        assert max(counts) <= chunk
        torch.testing.assert_close(exact, reference, atol=1e-5, rtol=0)
        # the queries with identical masks get identical logits
        assert torch.equal(exact[0, 0], exact[0, 2])
        assert torch.equal(exact[0, 4], exact[0, 5])
        seg = torch.randn(1, 12, 6)
        seen = torch.tensor([True, False, True, False, True])
        torch.testing.assert_close(
            fuse_class_probs(seg, exact, seen),
            fuse_class_probs(seg, reference, seen), atol=1e-5, rtol=0)


def test_clip_query_ranks_by_score_times_area():
    # softmax over [a, b, no-object]: query scores 0.8, 0.5, 0.9
    probs = torch.tensor([[[0.8, 0.1, 0.1], [0.5, 0.25, 0.25],
                           [0.05, 0.9, 0.05]]])
    cls_logits = probs.log()
    masks = torch.full((1, 3, 2, 2), -1.)
    masks[0, 0, 0, 0] = 1.  # area 1/4 -> 0.2
    masks[0, 1] = 1.  # area 1 -> 0.5
    masks[0, 2, 0] = 1.  # area 1/2 -> 0.45
    assert clip_query_ranks(cls_logits, masks).tolist() == [[1, 2, 0]]


def test_binary_mask_iou_by_hand():
    masks = torch.full((1, 3, 2, 4), -1.)
    masks[0, 0, :, :2] = 1.  # 4 pixels
    masks[0, 1, :, 1:] = 1.  # 6 pixels, 2 shared with query 0
    masks[0, 1, 0, 0] = 1.  # 7 pixels, 3 shared with query 0
    iou = binary_mask_iou(masks)[0]
    # 0 & 1: 3 / (4 + 7 - 3); empty query 2: 0, also with itself
    expected = torch.tensor([[1., 3 / 8, 0.], [3 / 8, 1., 0.], [0., 0., 0.]])
    torch.testing.assert_close(iou, expected)


def test_select_diverse_queries_passes_over_duplicates():
    iou = torch.eye(4)[None].repeat(2, 1, 1)
    iou[:, 0, 1] = iou[:, 1, 0] = 0.8  # 1 duplicates 0
    iou[:, 2, 3] = iou[:, 3, 2] = 0.5  # exactly at the threshold
    ranks = torch.tensor([[0, 1, 2, 3], [1, 3, 0, 2]])
    chosen = select_diverse_queries(ranks, iou, 2, 0.5)
    assert chosen.tolist() == [[0, 2], [1, 3]]
    # too few survivors: the suppressed fill the rest in rank order
    chosen = select_diverse_queries(ranks, iou, 4, 0.5)
    assert chosen.tolist() == [[0, 2, 1, 3], [1, 3, 0, 2]]


def test_share_clip_sources_by_overlap():
    iou = torch.tensor([[[1.0, 0.0, 0.6, 0.2, 0.0],
                         [0.0, 1.0, 0.7, 0.4, 0.0],
                         [0.6, 0.7, 1.0, 0.0, 0.0],
                         [0.2, 0.4, 0.0, 1.0, 0.0],
                         [0.0, 0.0, 0.0, 0.0, 0.0]]])
    chosen = torch.tensor([[1, 0, 4]])  # 4 is empty (IoU 0 with itself)
    source, covered = share_clip_sources(chosen, iou, 0.5)
    # 2 overlaps 0 (0.6) and 1 (0.7): 1 wins, at position 0 of chosen
    assert source[0, [0, 1, 2, 4]].tolist() == [1, 0, 0, 2]
    assert covered.tolist() == [[True, True, True, False, True]]


def fast_mode_inputs():
    """Six 16x16 query masks and segment scores, ranked 0, 1, 2, 5, 3, 4.

    Query 1 nearly duplicates 0 (IoU 7/8); 5 overlaps 2 by IoU 1/3; 3 and
    the empty 4 overlap no query that fast mode chooses.
    """
    masks = torch.full((1, 6, 16, 16), -6.)
    masks[0, 0, :8, :8] = 6.
    masks[0, 1, :8, :7] = 6.
    masks[0, 2, 8:, 8:] = 6.
    masks[0, 3, :8, 8:] = 6.
    masks[0, 5, 8:, 12:] = 6.
    masks[0, 5, 8:, :4] = 6.
    scores = torch.tensor([0.9, 0.8, 0.5, 0.2, 0.6, 0.3])
    probs = torch.full((1, 6, len(ALL) + 1), 0.0)
    probs[0, :, :-1] = (0.95 - scores[:, None]) / (len(ALL) - 1)
    probs[0, torch.arange(6), torch.arange(6) % len(ALL)] = scores
    probs[..., -1] = 0.05
    return probs.log(), masks


def eval_models_and_image(*models):
    """Put the models in eval mode; a seeded 64x64 image and its metas."""
    for model in models:
        model.eval()
    torch.manual_seed(4)
    inputs = torch.randn(1, 3, 64, 64)
    return inputs, [dict(img_shape=(64, 64), pad_shape=(64, 64))]


def test_fast_mode_shares_clip_of_diverse_queries():
    exact = build_tiny_model()
    fast = build_tiny_model(clip_topk=2)
    inputs, metas = eval_models_and_image(exact, fast)
    cls_logits, masks = fast_mode_inputs()
    seen = fast.seen_mask()
    counts = count_crops(fast.clip_classifier)
    with torch.no_grad():
        probs = fast.query_probs(inputs, cls_logits, masks, metas, seen)
        clip = exact.clip_logits(inputs, masks, metas)
    assert counts == [2]  # queries 0 and 2; 1 was passed over
    fused = fuse_class_probs(cls_logits[:, :3], clip[:, [0, 0, 2]], seen)
    torch.testing.assert_close(probs[0, :3], fused[0], atol=1e-6, rtol=0)
    seg = fuse_class_probs(cls_logits, None, seen, 'seg')
    assert torch.equal(probs[0, 3:], seg[0, 3:])


def test_fast_mode_with_k_at_least_q_is_exact():
    exact = build_tiny_model()
    full = build_tiny_model(clip_topk=10)
    inputs, metas = eval_models_and_image(exact, full)
    outs = []
    for model in (exact, full):
        with torch.no_grad():
            outs.append(model.encode_decode(inputs, metas))
    assert torch.equal(outs[0], outs[1])


def test_benchmark_handmade_masks_are_distinct_boxes():
    bench = load_benchmark()
    logits = bench.handmade_mask_logits(100, 160, 160)
    masks = logits[0] > 0
    assert masks.flatten(1).any(dim=1).all()
    distinct, _ = unique_masks(masks)
    assert len(distinct) == 100
    # query 13: row 1, column 3 of the 16-pixel grid, 2 x 2 cells
    box = masks[13].nonzero()
    assert box.min(0).values.tolist() == [16, 48]
    assert box.max(0).values.tolist() == [47, 79]


def test_benchmark_stage_memory_sees_a_transient_peak():
    bench = load_benchmark()
    stage = bench.StageMemory()

    def transient() -> None:
        block = torch.ones(64 * 2**20)  # 256 MiB, freed on return
        del block

    stage('transient', transient)
    row = stage.rows[-1]
    assert row['stage_peak_mib'] - row['rss_mib'] > 200
    assert stage.process_peak_kb / 1024 >= row['stage_peak_mib']
