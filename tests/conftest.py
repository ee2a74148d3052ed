# Copyright (c) mmzs3 contributors. All rights reserved.
"""Fixtures shared by the whole test suite."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

from .synthetic_benchmark import generator, tiny_benchmark  # noqa: F401

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def write_seg_dataset(root: str, num_images: int = 4, size: int = 32,
                      num_classes: int = 4, seed: int = 0) -> str:
    """Write a tiny mmseg-format dataset (``img_dir``/``ann_dir`` PNGs).

    Each label map holds blocks of classes ``0..num_classes-1`` and a few
    ignored (255) pixels; images are the label colours plus noise.
    """
    rng = np.random.default_rng(seed)
    for sub in ('img_dir', 'ann_dir'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    for i in range(num_images):
        label = rng.integers(0, num_classes, (size // 8, size // 8))
        label = np.kron(label, np.ones((8, 8), dtype=np.int64))
        label[0, :3] = 255
        colours = rng.integers(0, 255, (num_classes + 1, 3))
        image = colours[np.minimum(label, num_classes)]
        image = np.clip(image + rng.normal(0, 10, image.shape), 0, 255)
        Image.fromarray(image.astype(np.uint8)).save(
            osp.join(root, 'img_dir', f'{i:03d}.png'))
        Image.fromarray(label.astype(np.uint8)).save(
            osp.join(root, 'ann_dir', f'{i:03d}.png'))
    return root



class Exploit:
    """A pickled object whose unpickling calls ``os.system`` to create a
    marker file: what a checkpoint carrying code looks like."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )

@pytest.fixture
def tiny_seg_dataset(tmp_path) -> str:
    """A 4-image, 4-class, 32x32 mmseg-format dataset in ``tmp_path``."""
    return write_seg_dataset(str(tmp_path / 'tiny'))


@pytest.fixture
def python_exe() -> str:
    """The interpreter running the tests (the project's venv)."""
    return sys.executable


@pytest.fixture(autouse=True)
def _no_user_text_embedding_cache(monkeypatch):
    """Keep tests off ``~/.cache``: a faked text tower must never write
    embeddings under the real weights' key. Cache tests pass their own
    ``cache_dir``."""
    monkeypatch.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')


@pytest.fixture(autouse=True)
def _restore_mmengine_io():
    """Undo ``mmzs3.utils.enable_safe_io`` after each test (a test, or a
    tool's ``main()`` run in-process, may call it), so that no test sees
    another's opt-in."""
    from mmengine.dataset import base_dataset
    from mmengine.fileio.backends import registry_utils
    from mmengine.hooks import checkpoint_hook
    from mmengine.runner.checkpoint import CheckpointLoader
    schemes = CheckpointLoader._schemes.copy()
    backends = dict(registry_utils.backends)
    prefixes = dict(registry_utils.prefix_to_backends)
    hook_open = vars(checkpoint_hook).get('open')
    list_from_file = base_dataset.list_from_file
    yield
    CheckpointLoader._schemes = schemes
    for registered, saved in ((registry_utils.backends, backends),
                              (registry_utils.prefix_to_backends, prefixes)):
        registered.clear()
        registered.update(saved)
    if hook_open is None:
        vars(checkpoint_hook).pop('open', None)
    else:
        checkpoint_hook.open = hook_open
    base_dataset.list_from_file = list_from_file


@pytest.fixture
def safe_io() -> None:
    """mmzs3's safe I/O switched on for one test."""
    from mmzs3.utils import enable_safe_io
    enable_safe_io()
