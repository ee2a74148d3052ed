# Copyright (c) mmzs3 contributors. All rights reserved.
"""Secure, atomic checkpoint I/O for mmengine on modern torch.

torch >= 2.6 loads with ``weights_only=True`` by default, which refuses the
``HistoryBuffer`` objects that mmengine stores in every checkpoint's message
hub, so ``Runner(resume=True)`` fails. Allowlisting ``HistoryBuffer`` through
``torch.serialization.add_safe_globals`` is not enough: a buffer pickles numpy
arrays and reaches its statistic methods through ``builtins.getattr``, and
allowlisting ``getattr`` itself would reopen arbitrary code execution.

This module therefore loads checkpoints with a restricted unpickler (passed to
``torch.load`` as ``pickle_module``) that admits an explicit list of globals
and a ``getattr`` stand-in limited to ``HistoryBuffer``'s statistic methods.
Anything else is refused before it is called. It replaces mmengine's local
checkpoint loader, so every path that loads through mmengine (``resume``,
``load_from``, ``tools/test.py``, ``init_cfg=dict(type='Pretrained')``,
``mmseg.apis.init_model``) is covered.

It also makes mmengine's local file writes atomic (write to a temporary file
in the same folder, ``fsync``, then ``os.replace``), so a run killed while
writing a checkpoint never leaves a torn file under the checkpoint's name.
``CheckpointHook`` writes the ``last_checkpoint`` pointer that ``--resume``
reads with a plain ``open``, outside the file backends; that one write is
routed through :func:`atomic_open` too, so a run killed while updating the
pointer leaves the previous, complete pointer in place.
"""
import _compat_pickle
import importlib
import io
import os
import os.path as osp
import pickle
import tempfile
import types
from contextlib import contextmanager
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Union

import torch
from mmengine.fileio.backends import LocalBackend, register_backend
from mmengine.hooks import checkpoint_hook
from mmengine.runner.checkpoint import CheckpointLoader

#: Every global an mmengine / mmseg checkpoint (model, optimizer, schedulers,
#: message hub, AMP loss scaler, meta) holds, found by tracing real training
#: checkpoints. Tensor storages never reach ``find_class`` (torch resolves
#: them itself), so they are not listed.
ALLOWED_GLOBALS = frozenset({
    'collections.OrderedDict',
    'collections.defaultdict',
    'builtins.set',
    'builtins.frozenset',
    'builtins.slice',
    'builtins.complex',
    'builtins.bytearray',
    '_codecs.encode',
    'copyreg._reconstructor',
    'builtins.object',
    'torch._utils._rebuild_tensor',
    'torch._utils._rebuild_tensor_v2',
    'torch._utils._rebuild_parameter',
    'torch._utils._rebuild_parameter_with_state',
    'torch.Size',
    'torch.device',
    'torch.float16',
    'torch.float32',
    'torch.float64',
    'torch.bfloat16',
    'torch.int64',
    'torch.int32',
    'torch.uint8',
    'torch.bool',
    'torch.nn.parameter.Parameter',
    'numpy.ndarray',
    'numpy.dtype',
    'numpy.core.multiarray._reconstruct',
    'numpy.core.multiarray.scalar',
    'numpy._core.multiarray._reconstruct',
    'numpy._core.multiarray.scalar',
    'numpy.dtypes.Float64DType',
    'numpy.dtypes.Float32DType',
    'numpy.dtypes.Int64DType',
    'numpy.dtypes.Int32DType',
    'numpy.dtypes.BoolDType',
    'mmengine.logging.history_buffer.HistoryBuffer',
    'mmengine.config.config.ConfigDict',
})

_HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer'
#: HistoryBuffer's own statistics; custom ones registered through
#: ``HistoryBuffer.register_statistics`` are admitted too.
_BUILTIN_STATISTICS = frozenset({'min', 'max', 'mean', 'current'})


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint references a global outside the allowlist."""


class NonFiniteCheckpointError(ValueError):
    """Raised when a checkpoint's weights hold NaN or Inf values."""


def _resolve(qualified_name: str) -> Any:
    module_name, _, attr = qualified_name.rpartition('.')
    return getattr(importlib.import_module(module_name), attr)


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` limited to HistoryBuffer statistics.

    Protocol-2 pickles reach a method such as ``HistoryBuffer.mean`` through
    ``getattr(HistoryBuffer, 'mean')``; nothing else may be fetched.
    """
    history_buffer = _resolve(_HISTORY_BUFFER)
    allowed = _BUILTIN_STATISTICS | set(history_buffer._statistics_methods)
    if obj is not history_buffer or name not in allowed:
        raise UnsafeCheckpointError(
            f'checkpoint asks for getattr({obj!r}, {name!r}); only '
            f'HistoryBuffer statistic methods are allowed')
    return getattr(history_buffer, name)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only resolves globals from :data:`ALLOWED_GLOBALS`."""

    def find_class(self, module: str, name: str) -> Any:
        # Protocol-2 pickles name Python 2 modules ('__builtin__'); map them
        # as pickle's own find_class does before checking the allowlist.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualified_name = f'{module}.{name}'
        if qualified_name == 'builtins.getattr':
            return _history_buffer_getattr
        if qualified_name not in ALLOWED_GLOBALS:
            raise UnsafeCheckpointError(
                f"refusing to load {qualified_name!r}: it is not in mmzs3's "
                'checkpoint allowlist (mmzs3.utils.safe_checkpoint.'
                'ALLOWED_GLOBALS), so the file may run arbitrary code')
        return _resolve(qualified_name)


def _restricted_load(file: Any, **kwargs) -> Any:
    return RestrictedUnpickler(file, **kwargs).load()


#: Module-like object handed to ``torch.load(pickle_module=...)``.
restricted_pickle = types.ModuleType('mmzs3_restricted_pickle')
restricted_pickle.Unpickler = RestrictedUnpickler
restricted_pickle.load = _restricted_load


def non_finite_keys(state_dict: Dict[str, Any]) -> List[str]:
    """Names of floating-point tensors holding NaN or Inf values.

    Args:
        state_dict (dict): A mapping from names to tensors (other values are
            ignored).

    Returns:
        list[str]: Keys of the offending tensors, in order.
    """
    return [
        key for key, value in state_dict.items()
        if torch.is_tensor(value) and value.is_floating_point()
        and not bool(torch.isfinite(value).all())
    ]


def _model_state(checkpoint: Any) -> Dict[str, Any]:
    """The weights of an mmengine (``state_dict``), a detectron2
    (``model``) or a bare state-dict checkpoint."""
    if not isinstance(checkpoint, dict):
        return {}
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return checkpoint[key]
    return checkpoint


def safe_torch_load(filename: str, map_location: Any = None) -> Any:
    """Load a checkpoint file without running code that is not allowlisted.

    Args:
        filename (str): Path of the checkpoint.
        map_location (Any): Same as :func:`torch.load`. Defaults to None.

    Returns:
        Any: The unpickled checkpoint.

    Raises:
        FileNotFoundError: If the file does not exist.
        UnsafeCheckpointError: If the file references a forbidden global.
        NonFiniteCheckpointError: If model weights hold NaN or Inf values.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        checkpoint = torch.load(
            filename,
            map_location=map_location,
            weights_only=False,
            pickle_module=restricted_pickle)
    except UnsafeCheckpointError as err:
        raise UnsafeCheckpointError(f'{filename}: {err}') from None
    bad = non_finite_keys(_model_state(checkpoint))
    if bad:
        shown = ', '.join(bad[:5]) + (' ...' if len(bad) > 5 else '')
        raise NonFiniteCheckpointError(
            f'{filename}: {len(bad)} weight tensor(s) hold NaN or Inf '
            f'values ({shown}); refusing to load them')
    return checkpoint


def _atomic_write(data: Union[bytes, str], filepath: str, mode: str,
                  encoding: Union[str, None] = None) -> None:
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix=f'.{osp.basename(filepath)}.', suffix='.partial', dir=folder)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    finally:
        if osp.exists(tmp_path):
            os.remove(tmp_path)


@contextmanager
def atomic_open(file: Any, mode: str = 'r', *args,
                **kwargs) -> Iterator[IO]:
    """``open`` whose writes reach ``file`` all at once, or not at all.

    Reading modes are passed to :func:`open` unchanged. In ``'w'``/``'wb'``
    mode the caller writes into a memory buffer, which replaces ``file``
    atomically when the ``with`` block ends without an error.

    Args:
        file (str | os.PathLike): Path of the file.
        mode (str): As for :func:`open`. Defaults to 'r'.
    """
    if mode not in ('w', 'wb'):
        with open(file, mode, *args, **kwargs) as f:
            yield f
        return
    buffer = io.BytesIO() if 'b' in mode else io.StringIO()
    yield buffer
    _atomic_write(buffer.getvalue(), os.fspath(file), mode,
                  kwargs.get('encoding'))


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend with writes that are all-or-nothing."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        _atomic_write(obj, str(filepath), 'wb')

    def put_text(self,
                 obj: str,
                 filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        _atomic_write(obj, str(filepath), 'w', encoding=encoding)


def install_safe_checkpoint_io(extra_globals: Iterable[str] = ()) -> None:
    """Route mmengine's local checkpoint loading and file writes through here.

    Called once when ``mmzs3`` is imported. Safe to call again.

    Args:
        extra_globals (Iterable[str]): Further fully qualified globals to
            admit, for checkpoints of user components. Defaults to ().
    """
    global ALLOWED_GLOBALS
    ALLOWED_GLOBALS = ALLOWED_GLOBALS | frozenset(extra_globals)
    CheckpointLoader.register_scheme(
        prefixes='', loader=safe_torch_load, force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # the only ``open`` in mmengine's checkpoint_hook module writes the
    # ``last_checkpoint`` pointer; shadow it there and nowhere else
    checkpoint_hook.open = atomic_open
