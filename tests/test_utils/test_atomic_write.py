# Copyright (c) mmzs3 contributors. All rights reserved.
"""``atomic_write``: all of the new content, or all of the old."""
import json
import os

import pytest
import torch

from mmzs3.utils import atomic_write


def test_writes_bytes_text_and_torch(tmp_path):
    with atomic_write(tmp_path / 'sub' / 'a.bin') as f:
        f.write(b'\x00\x01')
    with atomic_write(tmp_path / 'b.json', 'w') as f:
        json.dump(dict(name='café'), f)
    with atomic_write(tmp_path / 'c.pth') as f:
        torch.save(dict(x=torch.arange(3)), f)
    assert (tmp_path / 'sub' / 'a.bin').read_bytes() == b'\x00\x01'
    assert json.loads((tmp_path / 'b.json').read_text('utf-8')) == dict(
        name='café')
    assert torch.load(tmp_path / 'c.pth')['x'].tolist() == [0, 1, 2]
    assert sorted(os.listdir(tmp_path)) == ['b.json', 'c.pth', 'sub']


def test_file_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_write(tmp_path / 'a.txt', 'w') as f:
            f.write('x')
    finally:
        os.umask(old)
    assert (tmp_path / 'a.txt').stat().st_mode & 0o777 == 0o640


def test_error_in_block_keeps_old_content(tmp_path):
    path = tmp_path / 'a.txt'
    path.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_write(path, 'w') as f:
            f.write('ne')
            raise RuntimeError('died half-way')
    assert path.read_text() == 'old'
    assert os.listdir(tmp_path) == ['a.txt']


def test_interrupted_rename_keeps_old_content(tmp_path, monkeypatch):
    path = tmp_path / 'a.txt'
    path.write_text('old')

    def crash(src, dst):
        raise KeyboardInterrupt('killed before the rename')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path, 'w') as f:
            f.write('new')
    monkeypatch.undo()
    assert path.read_text() == 'old'
    assert os.listdir(tmp_path) == ['a.txt']


def test_reading_or_appending_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb'"):
        with atomic_write(tmp_path / 'a.txt', 'a'):
            pass
