# Copyright (c) mmzs3 contributors. All rights reserved.
import warnings

import pytest

from mmzs3.utils import renamed_argument


def test_new_name_or_default_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert renamed_argument('Owner', 'old', 'new', None, 3) == 3
        assert renamed_argument('Owner', 'old', 'new', None, None, 7) == 7
        assert renamed_argument('Owner', 'old', 'new', None, 0.0, 7) == 0.0


def test_old_name_wins_with_one_future_warning():
    with pytest.warns(FutureWarning) as caught:
        value = renamed_argument('Owner', 'old', 'new', 'x', 'y')
    assert value == 'x'
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "Owner: 'old' is deprecated" in message and "'new'" in message
