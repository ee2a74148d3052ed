# Copyright (c) mmzs3 contributors. All rights reserved.
import math

import pytest
import torch

from mmzs3.datasets.synthetic_shapes_dataset import SYNTHETIC_CLASSES
from mmzs3.models.pretrain import ImageLevelPretrainModel, caption_labels


def tiny_model() -> ImageLevelPretrainModel:
    backbone = dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        stem_channels=8,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        style='pytorch')
    return ImageLevelPretrainModel(
        backbone=backbone, in_channels=64, class_names=SYNTHETIC_CLASSES)


def test_caption_labels_name_the_class():
    captions = ['a photo of a red star.', 'an image of a blue circle.']
    assert caption_labels(captions, SYNTHETIC_CLASSES) == [3, 8]


def test_caption_labels_prefer_the_longest_name():
    assert caption_labels(['a red star.'], ['star', 'red star']) == [1]
    assert caption_labels(['a star.'], ['star', 'red star']) == [0]


def test_caption_without_a_class_is_refused():
    with pytest.raises(ValueError, match='a photo of a dog'):
        caption_labels(['a photo of a dog.'], SYNTHETIC_CLASSES)


def test_loss_of_a_blank_head_is_log_k():
    """All-zero logits: cross-entropy is ln(16) whatever the labels."""
    model = tiny_model()
    torch.nn.init.zeros_(model.head.weight)
    torch.nn.init.zeros_(model.head.bias)
    images = torch.randn(2, 3, 32, 32)
    losses = model(images, ['a red star.', 'a green circle.'], mode='loss')
    assert losses['loss'].item() == pytest.approx(math.log(16), abs=1e-6)


def test_predict_reports_caption_labels():
    model = tiny_model().eval()
    preds = model(torch.randn(2, 3, 32, 32), ['a red star.', 'a blue star.'],
                  mode='predict')
    assert [p['gt_label'] for p in preds] == [3, 11]
    assert all(0 <= p['pred_label'] < 16 for p in preds)
