# Copyright (c) mmzs3 contributors. All rights reserved.
from types import SimpleNamespace

import torch
from torch import nn

from mmzs3.engine.hooks import ChannelsLastHook


def test_weights_become_channels_last_and_outputs_keep_their_values():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 4, 1))
    model.eval()
    inputs = torch.randn(2, 3, 9, 9)
    expected = model(inputs)
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    weight = model[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    assert not weight.is_contiguous()
    output = model(inputs)
    assert output.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(output, expected, rtol=1e-5, atol=1e-5)
