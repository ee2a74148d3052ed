# Copyright (c) mmzs3 contributors. All rights reserved.
"""The ``last_checkpoint`` pointer is replaced atomically."""
import os

import pytest
from mmengine.hooks import checkpoint_hook

from mmzs3.utils.safe_checkpoint import atomic_open


def test_checkpoint_hook_writes_pointer_atomically(tmp_path, monkeypatch,
                                                    safe_io):
    assert checkpoint_hook.open is atomic_open
    pointer = str(tmp_path / 'last_checkpoint')
    with checkpoint_hook.open(pointer, 'w') as f:
        f.write('/work/iter_2.pth')

    def crash(src, dst):
        raise KeyboardInterrupt('killed while replacing the pointer')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        with checkpoint_hook.open(pointer, 'w') as f:
            f.write('/work/iter_4.pth')
    monkeypatch.undo()
    with checkpoint_hook.open(pointer) as f:
        assert f.read() == '/work/iter_2.pth'
    assert os.listdir(tmp_path) == ['last_checkpoint']


def test_error_inside_block_keeps_old_content(tmp_path):
    pointer = str(tmp_path / 'last_checkpoint')
    with atomic_open(pointer, 'w') as f:
        f.write('old')
    with pytest.raises(RuntimeError):
        with atomic_open(pointer, 'w') as f:
            f.write('ne')
            raise RuntimeError('died half-way')
    with open(pointer) as f:
        assert f.read() == 'old'
