# Copyright (c) mmzs3 contributors. All rights reserved.
"""Class names: the one naming rule, and reading class-list files.

The rule (:func:`check_class_names`), used by the text encoder, the
segmentor, the inferencer and the class-list reader alike: a vocabulary is a
list (not a string) of unique, non-empty strings without white space at
either end and without a byte-order mark, line break or other control
character. Names are never changed silently; a bad name is an error that
names its position.

Class-list files (one name per line, ``metainfo=dict(classes='names.txt')``)
are a file format, and :func:`read_class_names` undoes what editors do to
such files before the rule applies: a UTF-8 byte-order mark is dropped,
Windows (``\\r\\n``) and old Mac (``\\r``) line endings are accepted, white
space around each line is stripped and blank lines at the end are dropped.
A blank line between names is still an empty name.
"""
from typing import Any, List, Optional, Sequence, Tuple

from mmengine.fileio import get_text, list_from_file


class ClassListError(ValueError):
    """Raised for class names that break the naming rule."""


def check_class_names(names: Sequence[str],
                      what: str = 'classes',
                      allow_empty: bool = False,
                      lines: bool = False) -> Tuple[str, ...]:
    """Check names against the naming rule and return them as a tuple.

    Args:
        names (Sequence[str]): The class names.
        what (str): What the names are (``'classes'``, ``'vocabulary'``, a
            file), for messages. Defaults to 'classes'.
        allow_empty (bool): Accept an empty list (e.g. no seen classes).
            Defaults to False.
        lines (bool): Refer to names by 1-based line number (for files)
            instead of by index. Defaults to False.

    Returns:
        tuple[str]: The names, unchanged.

    Raises:
        ClassListError: For a string instead of a list, an empty list, or
            any name that is not a string, is empty, has white space at
            either end, holds a byte-order mark, line break or other
            control character, or repeats an earlier name. The message lists
            every bad name with its position.
    """
    if isinstance(names, str):
        raise ClassListError(
            f'{what} must be a list of names, got the string {names!r}')
    names = tuple(names)
    if not names and not allow_empty:
        raise ClassListError(f'{what} is empty; give at least one name')

    def where(index: int) -> str:
        return f'line {index + 1}' if lines else f'{what}[{index}]'

    problems: List[str] = []
    first = {}
    for index, name in enumerate(names):
        problem = _name_problem(name)
        if problem is None and name in first:
            problem = f'{name!r} repeats {where(first[name])}'
        if problem is not None:
            problems.append(f'{where(index)}: {problem}')
        elif isinstance(name, str):
            first[name] = index
    if problems:
        prefix = f'{what}: ' if lines else ''
        raise ClassListError(prefix + '; '.join(problems))
    return names


def _name_problem(name: Any) -> Optional[str]:
    """What is wrong with one name, or None."""
    if not isinstance(name, str):
        return f'{name!r} is not a string'
    if not name.strip():
        return f'{name!r} is an empty name'
    # ``isprintable`` is False for BOMs, line breaks, tabs and other
    # control or separator characters (the ASCII space excepted)
    if name != name.strip() or not name.isprintable():
        return (f'{name!r} has white space at either end or holds a '
                'byte-order mark, line break or other control character')
    return None


def read_class_names(filename: str, **kwargs) -> List[str]:
    """Read a class-list file: one name per line, checked by the rule.

    Args:
        filename (str): Path or URI of the file.
        **kwargs: ``backend_args`` of :func:`mmengine.fileio.get_text`.

    Returns:
        list[str]: The class names, in file order.

    Raises:
        ClassListError: If the names break the rule (see the module); the
            message names the file and the lines.
    """
    text = get_text(filename, encoding='utf-8-sig', **kwargs)
    names = [line.strip() for line in text.splitlines()]
    while names and not names[-1]:
        names.pop()
    return list(
        check_class_names(names, f'class-list file {filename}', lines=True))


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


def class_list_from_file(filename: str, *args, **kwargs) -> List[str]:
    """Stand-in for mmengine's ``list_from_file`` in ``BaseDataset``.

    ``BaseDataset`` reads ``metainfo=dict(classes='names.txt')`` with
    ``list_from_file``, which keeps a byte-order mark in the first name and
    turns a trailing blank line into an empty class name;
    :func:`mmzs3.utils.enable_safe_io` puts this function in its place.
    Calls with ``list_from_file``'s other options keep mmengine's reader.
    """
    if args or set(kwargs) - {'backend_args'}:
        return list_from_file(filename, *args, **kwargs)
    return read_class_names(filename, **kwargs)
