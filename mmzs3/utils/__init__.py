# Copyright (c) mmzs3 contributors. All rights reserved.
from .safe_checkpoint import (AtomicLocalBackend, NonFiniteCheckpointError,
                              UnsafeCheckpointError,
                              install_safe_checkpoint_io, non_finite_keys,
                              safe_torch_load)

__all__ = [
    'AtomicLocalBackend', 'NonFiniteCheckpointError', 'UnsafeCheckpointError',
    'install_safe_checkpoint_io', 'non_finite_keys', 'safe_torch_load'
]
