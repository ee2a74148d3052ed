# Copyright (c) mmzs3 contributors. All rights reserved.
"""Importing this module switches on mmzs3's safe I/O for the process.

It is the explicit opt-in for configs run by mmseg's own tools::

    custom_imports = dict(imports=['mmzs3', 'mmzs3.utils.safe_io_patch'])

What changes is listed in :mod:`mmzs3.utils.safe_io`; mmzs3's own tools
call :func:`mmzs3.utils.enable_safe_io` instead.
"""
from .safe_io import enable_safe_io

enable_safe_io()
