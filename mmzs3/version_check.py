# Copyright (c) mmzs3 contributors. All rights reserved.
"""Import-time checks of the OpenMMLab stack's versions, as mmseg does."""
from typing import Tuple

from mmengine.utils import digit_version

#: Supported ranges, as ``(minimum inclusive, maximum exclusive)``.
SUPPORTED = {
    'torch': ('2.0.0', '3.0.0'),
    'mmcv': ('2.0.0rc4', '2.2.0'),
    'mmengine': ('0.10.0', '1.0.0'),
    'mmseg': ('1.2.0', '1.3.0'),
    'mmdet': ('3.0.0', '3.4.0'),
}


def check_version(package: str, version: str, bounds: Tuple[str,
                                                            str]) -> None:
    """Raise a clear error if ``version`` is outside ``bounds``.

    Args:
        package (str): The import name of the package.
        version (str): Its installed version.
        bounds (tuple[str, str]): Minimum (inclusive), maximum (exclusive).

    Raises:
        AssertionError: If the version is not supported.
    """
    low, high = bounds
    assert digit_version(low) <= digit_version(version) < digit_version(
        high), (f'{package}=={version} is used but incompatible with mmzs3. '
                f'Please install {package}>={low}, <{high} '
                '(see docs/get_started.md).')


def check_stack() -> None:
    """Check every package of the stack that mmzs3 builds on."""
    import mmcv
    import mmdet
    import mmengine
    import mmseg
    import torch
    installed = {
        'torch': torch.__version__.split('+')[0],
        'mmcv': mmcv.__version__,
        'mmengine': mmengine.__version__,
        'mmseg': mmseg.__version__,
        'mmdet': mmdet.__version__,
    }
    for package, version in installed.items():
        check_version(package, version, SUPPORTED[package])
