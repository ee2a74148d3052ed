# Copyright (c) mmzs3 contributors. All rights reserved.
"""Installation facts: version checks and a torch-preserving setup.py."""
import subprocess

import pytest

from mmzs3 import __version__
from mmzs3.version_check import SUPPORTED, check_stack, check_version
from .conftest import REPO_ROOT


def test_installed_stack_is_supported():
    check_stack()


@pytest.mark.parametrize('version', ['2.2.0', '1.9.9'])
def test_out_of_range_version_names_package_and_range(version):
    with pytest.raises(AssertionError) as err:
        check_version('mmcv', version, SUPPORTED['mmcv'])
    assert f'mmcv=={version}' in str(err.value)
    assert 'mmcv>=2.0.0rc4, <2.2.0' in str(err.value)


def test_pip_install_editable_would_not_touch_torch(python_exe):
    result = subprocess.run(
        [
            python_exe, '-m', 'pip', 'install', '--dry-run',
            '--no-build-isolation', '-e', REPO_ROOT
        ],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    would = [
        line for line in result.stdout.splitlines()
        if line.startswith('Would install')
    ]
    assert would == [f'Would install mmzs3-{__version__}']
