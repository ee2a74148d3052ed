# Copyright (c) mmzs3 contributors. All rights reserved.
"""Whether the CPU computes bfloat16 natively."""
import torch

#: CPU capabilities (``torch.cpu.get_capabilities()``) with native bf16
#: arithmetic: AVX512-BF16 and AMX on x86, the BF16 extension on ARM.
NATIVE_BF16_FEATURES = ('avx512_bf16', 'amx_bf16', 'bf16', 'sve_bf16')


def cpu_has_native_bf16() -> bool:
    """True if the CPU has bf16 instructions (AVX512-BF16, AMX, ARM BF16).

    Without them torch still runs bf16 autocast, emulated through float32
    and usually slower than float32. Torch builds without
    ``torch.cpu.get_capabilities`` report False.

    Returns:
        bool: Whether bf16 matrix products run natively.
    """
    get_capabilities = getattr(torch.cpu, 'get_capabilities', None)
    if get_capabilities is None:
        return False
    capabilities = get_capabilities()
    return any(
        capabilities.get(name, False) is True
        for name in NATIVE_BF16_FEATURES)
