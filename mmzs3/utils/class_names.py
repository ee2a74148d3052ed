# Copyright (c) mmzs3 contributors. All rights reserved.
"""Reading class-list files (one class name per line).

Datasets take ``metainfo=dict(classes='names.txt')``; mmengine reads such a
file with ``list_from_file``, which keeps a UTF-8 byte-order mark in the
first name and turns a trailing blank line into an empty class name. The
reader here normalises what is unambiguous and refuses the rest:

- a UTF-8 byte-order mark is dropped;
- Windows (``\\r\\n``) and old Mac (``\\r``) line endings are accepted;
- white space around each name is stripped;
- blank lines at the end of the file are dropped;
- a blank line between names, a duplicate name or an empty file is an
  error naming the file and the line.
"""
from typing import List, Optional, Sequence

from mmengine.dataset import base_dataset
from mmengine.fileio import get_text, list_from_file


class ClassListError(ValueError):
    """Raised for a class-list file that cannot be read unambiguously."""


def read_class_names(filename: str, **kwargs) -> List[str]:
    """Read a class-list file with the normalisations of this module.

    Args:
        filename (str): Path or URI of the file.
        **kwargs: ``backend_args`` of :func:`mmengine.fileio.get_text`.

    Returns:
        list[str]: The class names, in file order.

    Raises:
        ClassListError: On a blank line between names, a duplicate name or
            a file without names.
    """
    text = get_text(filename, encoding='utf-8-sig', **kwargs)
    names = [line.strip() for line in text.splitlines()]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise ClassListError(f'class-list file {filename} holds no names')
    if '' in names:
        raise ClassListError(
            f'class-list file {filename}: line {names.index("") + 1} is '
            'blank; every line up to the last name must hold a name')
    seen = {}
    for line, name in enumerate(names, 1):
        if name in seen:
            raise ClassListError(
                f'class-list file {filename}: {name!r} on line {line} '
                f'repeats line {seen[name]}')
        seen[name] = line
    return names


def class_list(values: Optional[Sequence[str]]) -> Optional[List[str]]:
    """Class names from command-line values (``--classes``, ``--unseen``).

    One value is split at commas (``'cat,dog'``); several values are one
    name each, so names that hold a comma can be given as separate
    arguments (``'cat' 'person, people'``).

    Args:
        values (Sequence[str], optional): The values of the option.

    Returns:
        list[str], optional: The names, stripped; None if ``values`` is.
    """
    if values is None:
        return None
    if len(values) == 1:
        return [v.strip() for v in values[0].split(',')]
    return [v.strip() for v in values]


def _list_from_file(filename, *args, **kwargs) -> List[str]:
    """mmengine's ``list_from_file`` for plain calls, else ours."""
    if args or set(kwargs) - {'backend_args'}:
        return list_from_file(filename, *args, **kwargs)
    return read_class_names(filename, **kwargs)


def install_class_list_reader() -> None:
    """Make ``BaseDataset`` metainfo files go through
    :func:`read_class_names`. Called once when ``mmzs3`` is imported."""
    base_dataset.list_from_file = _list_from_file
