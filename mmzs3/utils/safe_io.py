# Copyright (c) mmzs3 contributors. All rights reserved.
"""The opt-in that puts mmzs3's safe I/O in mmengine's place.

``import mmzs3`` changes nothing in other libraries. :func:`enable_safe_io`
(called by mmzs3's ``tools/train.py``, ``tools/test.py`` and
``tools/misc/check_dataset.py``, or by importing
:mod:`mmzs3.utils.safe_io_patch` from a config's ``custom_imports``) changes
four things in mmengine, for the rest of the process:

- the checkpoint loader of local paths (``CheckpointLoader``'s ``''``
  scheme: ``load_from``, ``resume``, ``init_cfg=dict(type='Pretrained')``,
  ``load_checkpoint``) becomes :func:`safe_torch_load`;
- the ``local`` file backend (the one that writes checkpoints) becomes
  :class:`AtomicLocalBackend`;
- ``open`` in ``mmengine.hooks.checkpoint_hook``, which writes only the
  ``last_checkpoint`` pointer, becomes :func:`atomic_open`;
- ``list_from_file`` in ``mmengine.dataset.base_dataset``, which reads
  ``metainfo=dict(classes='names.txt')``, becomes
  :func:`class_list_from_file`.
"""
from mmengine.dataset import base_dataset
from mmengine.fileio.backends import register_backend
from mmengine.hooks import checkpoint_hook
from mmengine.runner.checkpoint import CheckpointLoader

from .class_names import class_list_from_file
from .safe_checkpoint import AtomicLocalBackend, atomic_open, safe_torch_load


def enable_safe_io() -> None:
    """Route mmengine's local checkpoint I/O and class-list reading through
    mmzs3 (see the module). Safe to call more than once."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=safe_torch_load, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    checkpoint_hook.open = atomic_open
    base_dataset.list_from_file = class_list_from_file
