# Copyright (c) mmzs3 contributors. All rights reserved.
from .class_names import (ClassListError, class_list,
                          install_class_list_reader, read_class_names)
from .safe_checkpoint import (AtomicLocalBackend, NonFiniteCheckpointError,
                              UnsafeCheckpointError,
                              install_safe_checkpoint_io, non_finite_keys,
                              safe_torch_load)

__all__ = [
    'AtomicLocalBackend', 'NonFiniteCheckpointError', 'UnsafeCheckpointError',
    'install_safe_checkpoint_io', 'non_finite_keys', 'safe_torch_load',
    'ClassListError', 'class_list', 'install_class_list_reader',
    'read_class_names'
]
