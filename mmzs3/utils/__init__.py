# Copyright (c) mmzs3 contributors. All rights reserved.
from .atomic_write import atomic_write
from .class_names import (ClassListError, check_class_names, class_list,
                          class_list_from_file, read_class_names)
from .renamed_argument import renamed_argument
from .safe_checkpoint import (AtomicLocalBackend, NonFiniteCheckpointError,
                              UnsafeCheckpointError, allow_checkpoint_globals,
                              atomic_open, non_finite_keys, safe_torch_load)
from .safe_io import enable_safe_io

__all__ = [
    'atomic_write', 'ClassListError', 'check_class_names', 'class_list',
    'class_list_from_file', 'read_class_names', 'renamed_argument',
    'AtomicLocalBackend', 'NonFiniteCheckpointError', 'UnsafeCheckpointError',
    'allow_checkpoint_globals', 'atomic_open', 'non_finite_keys',
    'safe_torch_load', 'enable_safe_io'
]
