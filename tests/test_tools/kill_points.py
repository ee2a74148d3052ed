# Copyright (c) mmzs3 contributors. All rights reserved.
"""Test-only: SIGKILL the training process at a chosen point.

Imported through a test config's ``custom_imports``. ``MMZS3_KILL_AT``
selects the point:

- ``step:N``: inside the N-th optimizer step (after backward, before the
  parameters change);
- ``write:NAME#K``: in the middle of the K-th write of a file whose name
  contains ``NAME`` (half of the bytes reach the disk, then the process
  dies). The file is recognised by its name whether it is opened by path or
  through a descriptor, so temporary files of atomic writes count too.
"""
import builtins
import io
import os
import os.path as osp
import signal

import torch

_SPEC = os.environ.get('MMZS3_KILL_AT', '')
_counts = {}


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _count(key: str) -> int:
    _counts[key] = _counts.get(key, 0) + 1
    return _counts[key]


def _file_name(file: object) -> str:
    if isinstance(file, int):
        return osp.basename(os.readlink(f'/proc/self/fd/{file}'))
    if isinstance(file, (str, os.PathLike)):
        return osp.basename(os.fspath(file))
    return ''


class _HalfThenDie:
    """A file proxy writing half of the first chunk, then dying."""

    def __init__(self, file: io.IOBase) -> None:
        self._file = file

    def write(self, data):
        self._file.write(data[:max(1, len(data) // 2)])
        self._file.flush()
        os.fsync(self._file.fileno())
        _die()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()

    def __getattr__(self, name):
        return getattr(self._file, name)


def _install_write_kill(name: str, nth: int) -> None:
    real_open = builtins.open

    def open_and_maybe_die(file, mode='r', *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        writing = any(flag in mode for flag in 'wax+')
        if writing and name in _file_name(file) and _count(name) == nth:
            return _HalfThenDie(handle)
        return handle

    builtins.open = open_and_maybe_die
    io.open = open_and_maybe_die


def _install_step_kill(nth: int) -> None:
    real_step = torch.optim.SGD.step

    def step_and_maybe_die(self, *args, **kwargs):
        if _count('step') == nth:
            _die()
        return real_step(self, *args, **kwargs)

    torch.optim.SGD.step = step_and_maybe_die


def _install(spec: str) -> None:
    kind, _, arg = spec.partition(':')
    if kind == 'step':
        _install_step_kill(int(arg))
    elif kind == 'write':
        name, _, nth = arg.partition('#')
        _install_write_kill(name, int(nth or 1))
    elif spec:
        raise ValueError(f'unknown MMZS3_KILL_AT: {spec!r}')


_install(_SPEC)
