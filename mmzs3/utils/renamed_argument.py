# Copyright (c) mmzs3 contributors. All rights reserved.
"""Arguments renamed for clarity, with their old names still accepted."""
import warnings
from typing import Any


def renamed_argument(owner: str, old: str, new: str, old_value: Any,
                     new_value: Any, default: Any = None) -> Any:
    """The value of an argument renamed from ``old`` to ``new``.

    The old name keeps working for one release with one ``FutureWarning``
    (shown by default, unlike ``DeprecationWarning``). If both are set, the
    old one wins: a config that inherits the new key from a base config and
    overrides it under the old name (``--cfg-options model.test_mode=seg``)
    means the override.

    Args:
        owner (str): Class (and file) named in the warning.
        old (str): The deprecated name.
        new (str): The current name.
        old_value (Any): The value given under ``old``; None if not given.
        new_value (Any): The value given under ``new``; None if not given.
        default (Any): The value if neither is given. Defaults to None.

    Returns:
        Any: ``old_value`` if given, else ``new_value`` if given, else
        ``default``.
    """
    if old_value is not None:
        warnings.warn(
            f'{owner}: {old!r} is deprecated and will be removed in the '
            f'next release; use {new!r} (now {new}={old_value!r})',
            FutureWarning,
            stacklevel=3)
        return old_value
    return default if new_value is None else new_value
