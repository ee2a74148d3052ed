# Copyright (c) mmzs3 contributors. All rights reserved.
import torch

from mmzs3.models.utils.cpu_bf16 import cpu_has_native_bf16


def test_native_bf16_from_capabilities(monkeypatch):
    cases = (({'avx2': True, 'avx512_f': True}, False),
             ({'avx512_bf16': True}, True), ({'amx_bf16': True}, True),
             ({'bf16': True, 'sve_max_length': 256}, True), ({}, False))
    for capabilities, expected in cases:
        monkeypatch.setattr(torch.cpu, 'get_capabilities',
                            lambda: capabilities, raising=False)
        assert cpu_has_native_bf16() is expected
    monkeypatch.delattr(torch.cpu, 'get_capabilities', raising=False)
    assert cpu_has_native_bf16() is False
