# Copyright (c) mmzs3 contributors. All rights reserved.
import copy
import warnings

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.optim import OptimWrapper
from mmseg.structures import SegDataSample

from mmzs3.models.text_encoders.templates import get_templates
from mmzs3.models.utils import CLIP_MEAN, CLIP_STD
from mmzs3.registry import MODELS
from .tiny_zegformer import (ALL, SEEN, build_tiny_model, tiny_batch,
                             tiny_model_cfg)


def _predict_logits(model, data) -> torch.Tensor:
    """``seg_logits`` of ``predict`` for every image, (B, K, H, W)."""
    model.eval()
    with torch.no_grad():
        results = model(**model.data_preprocessor(data, False),
                        mode='predict')
    return torch.stack([r.seg_logits.data for r in results])


def test_loss_keys_cover_every_decoder_layer():
    model = build_tiny_model()
    model.train()
    data = model.data_preprocessor(tiny_batch(len(SEEN)), True)
    losses = model(**data, mode='loss')
    expected = {
        f'decode.{prefix}loss_{name}'
        for prefix in ('', 'd0.') for name in ('cls', 'mask', 'dice')
    }
    assert set(losses) == expected
    for name, value in losses.items():
        assert torch.isfinite(value) and value > 0, name


def test_the_head_gets_the_active_vocabularys_embeddings(monkeypatch):
    model = build_tiny_model()
    given = []
    head_loss = type(model.decode_head).loss

    def spy(self, x, class_embeddings, *args):
        given.append(class_embeddings)
        return head_loss(self, x, class_embeddings, *args)

    monkeypatch.setattr(type(model.decode_head), 'loss', spy)
    model.train()
    model(**model.data_preprocessor(tiny_batch(len(SEEN)), True),
          mode='loss')
    expected = model.text_encoder.encode(SEEN,
                                         get_templates('imagenet_select'))
    assert len(given) == 1
    torch.testing.assert_close(given[0], expected)
    assert model.num_classes == model.out_channels == len(SEEN)
    model.eval()
    assert model.num_classes == model.out_channels == len(ALL)


def test_train_on_seen_names_then_predict_all_names():
    model = build_tiny_model()
    model.train()
    model(**model.data_preprocessor(tiny_batch(len(SEEN)), True),
          mode='loss')
    data = tiny_batch(len(ALL), batch=2)
    logits = _predict_logits(model, data)
    assert logits.shape == (2, len(ALL), 64, 64)
    with torch.no_grad():
        tensor = model(**model.data_preprocessor(data, False),
                       mode='tensor')
    # the 'tensor' mode returns predict's logits before post-processing
    torch.testing.assert_close(tensor, logits)
    model.eval()
    results = model.predict(
        **model.data_preprocessor(tiny_batch(len(ALL), batch=1), False))
    assert results[0].pred_sem_seg.data.shape == (1, 64, 64)
    assert int(results[0].pred_sem_seg.data.max()) < len(ALL)


def test_vocabulary_follows_training_flag():
    model = build_tiny_model()
    model.train()
    assert model.vocabulary == SEEN
    model.eval()
    assert model.vocabulary == ALL
    model.set_vocabulary(['a', 'b'], mode='train')
    model.set_vocabulary(['b', 'x', 'a'], seen_classes=['x'])
    assert model.vocabulary == ('b', 'x', 'a')
    assert model.seen_mask().tolist() == [False, True, False]
    model.set_vocabulary(['b', 'x', 'a'], seen_classes=[])  # all unseen
    assert model.seen_mask().tolist() == [False, False, False]
    model.train()
    assert model.vocabulary == ('a', 'b')
    with pytest.raises(ValueError, match='mode'):
        model.set_vocabulary(['a'], mode='val')


def test_seen_classes_default_to_the_train_vocabulary():
    model = build_tiny_model(with_clip=False)
    model.eval()
    # ALL = cat, tree, dog, road, sky; SEEN = cat, dog, sky
    assert model.seen_mask().tolist() == [True, False, True, False, True]


def test_unknown_seen_classes_warn_once_when_they_matter():
    """No seen classes and no train vocabulary: all classes unseen, and one
    warning if calibration_gamma or the fused mode would have used them."""

    def unseen_warnings(calls=1, **overrides):
        model = build_tiny_model(train_vocabulary=None, **overrides).eval()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            masks = [model.seen_mask().tolist() for _ in range(calls)]
        assert masks == [[False] * len(ALL)] * calls
        return [str(w.message) for w in caught
                if 'treated as unseen' in str(w.message)]

    fused = unseen_warnings(calls=2)  # fused mode, gamma 0
    assert len(fused) == 1 and 'seen_classes=[...]' in fused[0]
    assert len(unseen_warnings(with_clip=False, calibration_gamma=0.1)) == 1
    # nothing depends on the seen names, or they are known (even if none)
    assert unseen_warnings(with_clip=False) == []
    assert unseen_warnings(fusion_mode='img') == []
    assert unseen_warnings(calibration_gamma=0.1, seen_classes=[]) == []


def test_gamma_is_subtracted_from_seen_maps_only():
    model = build_tiny_model(with_clip=False)
    data = tiny_batch(len(ALL), batch=1)
    model.calibration_gamma = 0.0
    plain = _predict_logits(model, data)
    model.calibration_gamma = 0.25
    calibrated = _predict_logits(model, data)
    offset = plain - calibrated
    expected = torch.tensor([0.25, 0.0, 0.25, 0.0, 0.25])
    torch.testing.assert_close(offset.amax(dim=(0, 2, 3)), expected)
    torch.testing.assert_close(offset.amin(dim=(0, 2, 3)), expected)


def test_one_step_trains_the_head_and_leaves_clip_frozen():
    model = build_tiny_model()
    model.train()
    before = copy.deepcopy(model.state_dict())
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    log_vars = model.train_step(tiny_batch(len(SEEN)), optim)
    assert torch.isfinite(log_vars['loss'])
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    for key in ('decode_head.cls_embed.projection.weight',
                'decode_head.cls_embed.bg_embed',
                'decode_head.query_embed.weight',
                'decode_head.pixel_decoder.mask_feature.weight'):
        assert key in changed, key
    frozen = [k for k in changed
              if k.startswith(('text_encoder.', 'clip_classifier.'))
              or k == 'decode_head.cls_embed.logit_scale'
              or 'running_' in k or k.startswith('backbone.bn1')]
    assert frozen == []


def test_fused_mode_differs_from_seg_mode():
    model = build_tiny_model()
    data = tiny_batch(len(ALL), batch=1)
    assert model.fusion_mode == 'fused'
    fused = _predict_logits(model, data)
    model.fusion_mode = 'seg'
    seg = _predict_logits(model, data)
    assert fused.shape == seg.shape == (1, len(ALL), 64, 64)
    assert not torch.allclose(fused, seg, rtol=1e-3, atol=0)


def test_clip_branch_gets_clip_templates_and_clip_inputs(monkeypatch):
    model = build_tiny_model(fusion_mode='img')
    seen = {}

    def fake_clip(clip_images, mask_logits, text_embeddings):
        seen.update(images=clip_images, text=text_embeddings)
        return mask_logits.new_zeros(mask_logits.shape[:2] +
                                     (len(ALL), ))

    monkeypatch.setattr(model.clip_classifier, 'forward', fake_clip)
    raw = torch.full((3, 40, 48), 200, dtype=torch.uint8)
    sample = SegDataSample(metainfo=dict(img_shape=(40, 48),
                                         ori_shape=(40, 48)))
    logits = _predict_logits(model, dict(inputs=[raw], data_samples=[sample]))
    assert logits.shape == (1, len(ALL), 40, 48)  # padding cropped off
    expected_text = model.text_encoder.encode(ALL,
                                              get_templates('clip_select'))
    torch.testing.assert_close(seen['text'], expected_text)
    images = seen['images']
    assert images.shape == (1, 3, 64, 64)  # padded to size_divisor 32
    # inputs are BGR->RGB converted; a uniform 200 image stays uniform
    inside = (200 - torch.tensor(CLIP_MEAN)) / torch.tensor(CLIP_STD)
    torch.testing.assert_close(images[0, :, 20, 20], inside)
    assert images[0, :, 40:].abs().max() == 0
    assert images[0, :, :, 48:].abs().max() == 0


def test_slide_with_one_full_crop_matches_whole():
    model = build_tiny_model()
    data = tiny_batch(len(ALL), batch=1)
    whole = _predict_logits(model, data)
    model.test_cfg = ConfigDict(mode='slide', crop_size=(64, 64),
                                stride=(64, 64))
    slide = _predict_logits(model, data)
    torch.testing.assert_close(slide, whole)
    model.test_cfg = ConfigDict(mode='slide', crop_size=(32, 32),
                                stride=(16, 16))
    crops = _predict_logits(model, data)
    assert crops.shape == whole.shape
    assert torch.isfinite(crops).all()


def test_fusion_mode_needs_a_clip_classifier():
    with pytest.raises(ValueError, match='clip_classifier'):
        build_tiny_model(with_clip=False, fusion_mode='fused')
    with pytest.raises(ValueError, match='fusion_mode'):
        build_tiny_model(fusion_mode='average')


@pytest.mark.parametrize('old, new, value', [
    ('test_mode', 'fusion_mode', 'img'),
    ('gamma', 'calibration_gamma', 0.25),
])
def test_renamed_keys_still_work_with_one_warning(old, new, value):
    with pytest.warns(FutureWarning) as caught:
        model = build_tiny_model(**{old: value})
    renamed = [w for w in caught if repr(old) in str(w.message)]
    assert len(renamed) == 1 and repr(new) in str(renamed[0].message)
    assert getattr(model, new) == value
    assert not hasattr(model, old)


def test_clip_templates_moved_from_the_clip_classifier_config():
    cfg = tiny_model_cfg()
    cfg.clip_classifier.templates = 'single'
    with pytest.warns(FutureWarning, match='clip_classifier.templates'):
        model = MODELS.build(cfg)
    assert model.vocabulary_encoder.templates['clip'] == get_templates(
        'single')
    assert not hasattr(model.clip_classifier, 'templates')
    default = build_tiny_model()
    assert default.vocabulary_encoder.templates == dict(
        segment=get_templates('imagenet_select'),
        clip=get_templates('clip_select'))


def test_missing_vocabulary_is_a_clear_error():
    model = build_tiny_model(train_vocabulary=None, test_vocabulary=None)
    with pytest.raises(RuntimeError, match='VocabularyHook'):
        model.vocabulary
