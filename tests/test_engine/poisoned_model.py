# Copyright (c) mmzs3 contributors. All rights reserved.
"""Test-only: an EncoderDecoder whose loss turns NaN on chosen batches."""
from typing import Optional

from mmengine.logging import MessageHub
from mmseg.models import EncoderDecoder

from mmzs3.registry import MODELS


@MODELS.register_module()
class TestPoisonedLossEncoderDecoder(EncoderDecoder):
    """Multiplies the losses by NaN on poisoned batches.

    Args:
        poison_name (str): A batch is poisoned when an ``img_path`` contains
            it. Defaults to 'poison'.
        poison_from_iter (int, optional): Also poison every batch from this
            (0-based) iteration on. Defaults to None.
    """

    def __init__(self, poison_name: str = 'poison',
                 poison_from_iter: Optional[int] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.poison_name = poison_name
        self.poison_from_iter = poison_from_iter

    def loss(self, inputs, data_samples):
        losses = super().loss(inputs, data_samples)
        named = any(self.poison_name in s.img_path for s in data_samples)
        it = MessageHub.get_current_instance().get_info('iter', 0)
        start = self.poison_from_iter
        late = start is not None and it >= start
        if named or late:
            losses = {k: v * float('nan') for k, v in losses.items()}
        return losses
