# Copyright (c) mmzs3 contributors. All rights reserved.
"""Secure checkpoint loading and atomic checkpoint writing.

torch >= 2.6 loads with ``weights_only=True`` by default, which refuses the
``HistoryBuffer`` objects that mmengine stores in every checkpoint's message
hub, so ``Runner(resume=True)`` fails. Allowlisting ``HistoryBuffer`` through
``torch.serialization.add_safe_globals`` is not enough: a buffer pickles numpy
arrays and reaches its statistic methods through ``builtins.getattr``, and
allowlisting ``getattr`` itself would reopen arbitrary code execution.

:func:`safe_torch_load` therefore loads checkpoints with a restricted
unpickler (passed to ``torch.load`` as ``pickle_module``) that admits an
explicit list of globals, plus two stand-ins: a ``getattr`` limited to
``HistoryBuffer``'s statistic methods and a ``bytes`` limited to the empty
value (protocol-2 pickles, torch's default, write an empty ``bytes`` such as
the data of an empty numpy array as a call to ``builtins.bytes``). Anything
else is refused before it is called.

:class:`AtomicLocalBackend` and :func:`atomic_open` write through
:func:`mmzs3.utils.atomic_write`. Nothing here changes mmengine by itself:
:func:`mmzs3.utils.enable_safe_io` puts these functions in place.
"""
import _compat_pickle
import importlib
import os
import os.path as osp
import pickle
import types
from contextlib import contextmanager
from typing import IO, Any, Callable, Dict, Iterator, List, Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend

from .atomic_write import atomic_write


def _torch_dtypes() -> frozenset:
    """``torch.float32`` and every other dtype, as qualified names."""
    return frozenset(f'torch.{name}' for name in dir(torch)
                     if isinstance(getattr(torch, name), torch.dtype))


def _numpy_dtype_classes() -> frozenset:
    """numpy 2's dtype classes (``numpy.dtypes.Float64DType``, ...)."""
    return frozenset(f'numpy.dtypes.{name}' for name in dir(np.dtypes)
                     if name.endswith('DType'))


#: Every global an mmengine / mmseg / mmdet checkpoint (model, optimizer,
#: schedulers, message hub, AMP loss scaler, meta) holds, found by tracing
#: real training checkpoints and numpy arrays of every dtype. Tensor
#: storages never reach ``find_class`` (torch resolves them itself), so they
#: are not listed. ``builtins.getattr`` and ``builtins.bytes`` are served by
#: restricted stand-ins.
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
    'torch.nn.parameter.Parameter',
    'numpy.ndarray',
    'numpy.dtype',
    'numpy.core.multiarray._reconstruct',
    'numpy.core.multiarray.scalar',
    'numpy._core.multiarray._reconstruct',
    'numpy._core.multiarray.scalar',
    'mmengine.logging.history_buffer.HistoryBuffer',
    'mmengine.config.config.ConfigDict',
}) | _torch_dtypes() | _numpy_dtype_classes()

_HISTORY_BUFFER = 'mmengine.logging.history_buffer.HistoryBuffer'
#: HistoryBuffer's own statistics; custom ones registered through
#: ``HistoryBuffer.register_statistics`` are admitted too.
_BUILTIN_STATISTICS = frozenset({'min', 'max', 'mean', 'current'})
_HOW_TO_TRUST = (
    'If you trust the file, admit the name with '
    'mmzs3.utils.allow_checkpoint_globals({name!r}) before loading, or load '
    'it with torch.load(path, weights_only=False)')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint references a global outside the allowlist."""


class NonFiniteCheckpointError(ValueError):
    """Raised when a checkpoint's weights hold NaN or Inf values."""


def allow_checkpoint_globals(*names: str) -> None:
    """Admit further globals in checkpoints, for a file you trust.

    Args:
        *names (str): Fully qualified names, e.g.
            ``'my_package.my_module.MyClass'``.
    """
    global ALLOWED_GLOBALS
    ALLOWED_GLOBALS = ALLOWED_GLOBALS | frozenset(names)


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
            f'refusing getattr({obj!r}, {name!r}): only HistoryBuffer '
            'statistic methods may be fetched. ' +
            _HOW_TO_TRUST.format(name='builtins.getattr'))
    return getattr(history_buffer, name)


def _empty_bytes(*args: Any) -> bytes:
    """Stand-in for ``builtins.bytes`` limited to ``bytes()``.

    Protocol 2 writes a non-empty ``bytes`` through ``_codecs.encode`` and
    an empty one as the call ``bytes()``; any argument would let a file
    allocate memory at will.
    """
    if args:
        raise UnsafeCheckpointError(
            f'refusing bytes{args!r}: only the empty bytes() is allowed. ' +
            _HOW_TO_TRUST.format(name='builtins.bytes'))
    return b''


_STAND_INS = {
    'builtins.getattr': _history_buffer_getattr,
    'builtins.bytes': _empty_bytes,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only resolves globals from :data:`ALLOWED_GLOBALS`
    (and the restricted ``getattr`` and ``bytes`` stand-ins)."""

    def find_class(self, module: str, name: str) -> Any:
        # Protocol-2 pickles name Python 2 modules ('__builtin__'); map them
        # as pickle's own find_class does before checking the allowlist.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualified_name = f'{module}.{name}'
        if qualified_name in _STAND_INS:
            return _STAND_INS[qualified_name]
        if qualified_name not in ALLOWED_GLOBALS:
            raise UnsafeCheckpointError(
                f"refusing to load {qualified_name!r}: it is not in mmzs3's "
                'checkpoint allowlist (mmzs3.utils.safe_checkpoint.'
                'ALLOWED_GLOBALS), and unpickling it could run arbitrary '
                'code. ' + _HOW_TO_TRUST.format(name=qualified_name))
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
        UnsafeCheckpointError: If the file references a forbidden global;
            the message names it and says how to load a trusted file.
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


@contextmanager
def atomic_open(file: Any, mode: str = 'r', *args,
                **kwargs) -> Iterator[IO]:
    """``open`` whose writes reach ``file`` all at once, or not at all.

    Stands in for ``open`` in mmengine's ``checkpoint_hook`` module, whose
    only ``open`` writes the ``last_checkpoint`` pointer. Reading modes are
    passed to :func:`open` unchanged; ``'w'`` and ``'wb'`` go through
    :func:`mmzs3.utils.atomic_write`.

    Args:
        file (str | os.PathLike): Path of the file.
        mode (str): As for :func:`open`. Defaults to 'r'.
    """
    if mode not in ('w', 'wb'):
        with open(file, mode, *args, **kwargs) as f:
            yield f
        return
    with atomic_write(file, mode, kwargs.get('encoding')) as f:
        yield f


class AtomicLocalBackend(LocalBackend):
    """mmengine's local backend with writes that are all-or-nothing."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        with atomic_write(filepath, 'wb') as f:
            f.write(obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        with atomic_write(filepath, 'w', encoding) as f:
            f.write(obj)
