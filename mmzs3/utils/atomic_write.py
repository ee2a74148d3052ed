# Copyright (c) mmzs3 contributors. All rights reserved.
"""The one way mmzs3 writes a file that must never be seen half-written.

Python and mmengine have no atomic file write; every checkpoint, cache,
export, generated sample and completion marker of mmzs3 and its tools goes
through :func:`atomic_write`.
"""
import os
import os.path as osp
import uuid
from contextlib import contextmanager
from typing import IO, Iterator, Optional, Union

PathType = Union[str, os.PathLike]


@contextmanager
def atomic_write(path: PathType,
                 mode: str = 'wb',
                 encoding: Optional[str] = None) -> Iterator[IO]:
    """Open ``path`` for writing so that it changes all at once or not at all.

    The caller writes into a hidden temporary file in the same folder
    (``.<name>.<random>.partial``). When the ``with`` block ends without an
    error, the file is flushed, ``fsync``-ed and renamed over ``path`` with
    :func:`os.replace`; if the block raises (or the process dies), ``path``
    keeps its previous content and the temporary file is removed (or, after
    a kill, left behind where nothing reads it). The folder is created if
    needed, and the file gets the usual permissions (``0o666`` less the
    umask).

    Example:
        >>> with atomic_write('out/result.json', 'w') as f:
        ...     json.dump(result, f)

    Args:
        path (str | os.PathLike): The file to write.
        mode (str): ``'wb'`` (bytes) or ``'w'`` (text). Defaults to 'wb'.
        encoding (str, optional): Text encoding for ``'w'``. Defaults to
            None ('utf-8').

    Yields:
        IO: The open temporary file.
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got "
                         f'{mode!r} (for {path})')
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder,
                   f'.{osp.basename(path)}.{uuid.uuid4().hex}.partial')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    if mode == 'w' and encoding is None:
        encoding = 'utf-8'
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
