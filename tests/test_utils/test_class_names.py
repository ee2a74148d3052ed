# Copyright (c) mmzs3 contributors. All rights reserved.
"""The one naming rule (more cases in tests/test_utils/
test_bad_vocabulary.py)."""
import pytest

from mmzs3.utils import ClassListError, check_class_names


def test_clean_names_are_returned_unchanged():
    names = ['cat', 'person, people', 'traffic light', 'éclair']
    assert check_class_names(names) == tuple(names)


def test_every_bad_name_is_reported():
    with pytest.raises(ClassListError) as info:
        check_class_names(['cat', ' dog', 'cat', '', 7], what='classes')
    message = str(info.value)
    assert "classes[1]: ' dog' has white space" in message
    assert "classes[2]: 'cat' repeats classes[0]" in message
    assert "classes[3]: '' is an empty name" in message
    assert 'classes[4]: 7 is not a string' in message


def test_empty_allowed_only_when_asked():
    assert check_class_names([], allow_empty=True) == ()
    with pytest.raises(ClassListError, match='seen is empty'):
        check_class_names([], what='seen')


def test_file_positions_are_line_numbers():
    with pytest.raises(ClassListError,
                       match="^names.txt: line 3: 'a' repeats line 1$"):
        check_class_names(['a', 'b', 'a'], what='names.txt', lines=True)
