# Copyright (c) mmzs3 contributors. All rights reserved.
import math

import pytest
import torch

from mmzs3.models.classifiers import SegmentTextClassifier


def _identity_classifier(**kwargs) -> SegmentTextClassifier:
    classifier = SegmentTextClassifier(in_channels=2, text_dim=2, **kwargs)
    with torch.no_grad():
        classifier.projection.weight.copy_(torch.eye(2))
        classifier.projection.bias.zero_()
        classifier.bg_embed.copy_(torch.tensor([[2.0, -1.0]]))
    return classifier


def test_cosine_logits_with_unnormalised_no_object_embedding():
    classifier = _identity_classifier()
    classifier.text_embeddings = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    logits = classifier(torch.tensor([[3.0, 4.0]]))
    # segment (3, 4) / 5 = (0.6, 0.8); cos with the two classes 0.6, 0.8;
    # no-object 0.6 * 2 + 0.8 * (-1) = 0.4 (bg_embed is not normalised)
    torch.testing.assert_close(logits, torch.tensor([[60.0, 80.0, 40.0]]))


def test_temperature_and_its_gradient():
    classifier = _identity_classifier()
    assert classifier.logit_scale.item() == pytest.approx(math.log(100))
    assert not classifier.logit_scale.requires_grad
    learnable = _identity_classifier(temperature=0.5,
                                     learnable_temperature=True)
    learnable.text_embeddings = torch.tensor([[1.0, 0.0]])
    logits = learnable(torch.tensor([[3.0, 4.0]]))
    torch.testing.assert_close(logits, torch.tensor([[1.2, 0.8]]))
    logits.sum().backward()
    assert learnable.logit_scale.grad is not None
    assert learnable.bg_embed.grad is not None
    with pytest.raises(ValueError, match='temperature'):
        SegmentTextClassifier(temperature=0.0)


def test_class_count_follows_the_text_embeddings():
    classifier = SegmentTextClassifier(in_channels=8, text_dim=4)
    queries = torch.randn(6, 2, 10, 8)  # (layers, B, Q, C), as mmdet calls
    for num_classes in (3, 5):
        classifier.text_embeddings = torch.nn.functional.normalize(
            torch.randn(num_classes, 4), dim=-1)
        assert classifier(queries).shape == (6, 2, 10, num_classes + 1)
    # logits are 100 * a cosine: bounded by 100 for the class columns
    assert classifier(queries)[..., :-1].abs().max() <= 100 + 1e-4


def test_layout_and_initialisation():
    classifier = SegmentTextClassifier()
    assert {k: tuple(v.shape) for k, v in classifier.state_dict().items()
            } == {
                'projection.weight': (512, 256),
                'projection.bias': (512, ),
                'bg_embed': (1, 512),
                'logit_scale': (1, ),
            }
    # kaiming_uniform_(a=sqrt(5)) on (1, 512): U(-1/sqrt(512), 1/sqrt(512))
    bound = 1 / math.sqrt(512)
    assert classifier.bg_embed.abs().max() <= bound
    assert classifier.bg_embed.abs().max() > bound / 2
    assert 'text_embeddings' not in classifier.state_dict()


def test_missing_text_embeddings_is_a_clear_error():
    with pytest.raises(RuntimeError, match='text_embeddings'):
        SegmentTextClassifier(in_channels=4, text_dim=4)(torch.zeros(1, 4))
