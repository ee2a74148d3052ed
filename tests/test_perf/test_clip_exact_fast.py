# Copyright (c) mmzs3 contributors. All rights reserved.
import importlib.util
import json
import os.path as osp
import sys

import torch
import torch.nn.functional as F

from mmzs3.models.segmentors.zegformer import clip_query_ranks
from mmzs3.models.utils import fuse_class_probs
from mmzs3.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
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


def test_fast_mode_keeps_seg_probs_outside_topk():
    exact = build_tiny_model()
    fast = build_tiny_model(clip_topk=3)
    full = build_tiny_model(clip_topk=10)  # k >= Q: exact
    torch.manual_seed(4)
    inputs = torch.randn(1, 3, 64, 64)
    metas = [dict(img_shape=(64, 64), pad_shape=(64, 64))]
    outs = {}
    for name, model in (('exact', exact), ('fast', fast), ('full', full)):
        model.eval()
        model._apply_vocabulary()
        with torch.no_grad():
            x = model.extract_feat(inputs)
            cls_logits, mask_logits = model.decode_head.predict(
                x, metas, model.test_cfg)
            seen = model.seen_mask()
            outs[name] = model._query_probs(inputs, cls_logits, mask_logits,
                                            metas, seen)
    assert outs['exact'].shape == (1, 10, len(ALL))
    assert torch.equal(outs['full'], outs['exact'])
    keep = clip_query_ranks(cls_logits, mask_logits)[0, :3]
    rest = [q for q in range(10) if q not in keep.tolist()]
    seg = fuse_class_probs(cls_logits, None, seen, 'seg')
    torch.testing.assert_close(outs['fast'][0, keep], outs['exact'][0, keep],
                               atol=1e-6, rtol=0)
    assert torch.equal(outs['fast'][0, rest], seg[0, rest])
