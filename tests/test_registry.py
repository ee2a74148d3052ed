# Copyright (c) mmzs3 contributors. All rights reserved.
"""A plain mmseg config reaches every mmzs3 component via custom_imports."""
import json
import subprocess
import textwrap

#: Names that other code and configs rely on (issues 3 and 4).
REQUIRED = {
    'MODELS': ('ZegFormer', 'ZegFormerHead', 'PixelZeroShotHead',
               'OpenCLIPTextEncoder', 'CLIPSegmentClassifier'),
    'METRICS': ('HIoUMetric', ),
    'DATASETS': ('ZeroShotSegDataset', ),
}

PLAIN_MMSEG_CONFIG = """
default_scope = 'mmseg'
custom_imports = dict(imports=['mmzs3'], allow_failed_imports=False)
metric = dict(type='HIoUMetric', ignore_index=7)
"""

# Runs in a fresh interpreter so that only custom_imports imports mmzs3.
PROBE = """
import json, sys
from mmengine.config import Config
from mmengine.registry import init_default_scope
assert 'mmzs3' not in sys.modules
cfg = Config.fromfile(sys.argv[1])
assert 'mmzs3' in sys.modules
init_default_scope(cfg.default_scope)
import mmseg.registry as reg
found = {}
for name in ('MODELS', 'METRICS', 'DATASETS', 'TRANSFORMS', 'HOOKS'):
    registry = getattr(reg, name)
    found[name] = sorted(
        key for key, cls in registry.module_dict.items()
        if cls.__module__.startswith('mmzs3.'))
metric = reg.METRICS.build(cfg.metric)
print(json.dumps(dict(found=found, metric=type(metric).__name__,
                      ignore_index=metric.ignore_index)))
"""


def test_plain_mmseg_config_reaches_mmzs3(tmp_path, python_exe):
    cfg_path = tmp_path / 'plain_mmseg_cfg.py'
    cfg_path.write_text(PLAIN_MMSEG_CONFIG)
    result = subprocess.run(
        [python_exe, '-c', textwrap.dedent(PROBE),
         str(cfg_path)],
        cwd=str(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for registry, names in REQUIRED.items():
        missing = set(names) - set(report['found'][registry])
        assert not missing, f'{registry} lacks {sorted(missing)}'
    assert report['metric'] == 'HIoUMetric'
    assert report['ignore_index'] == 7


def test_mmdet_names_need_their_prefix():
    """mmseg's same-named classes must not shadow mmdet's in our configs."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import TASK_UTILS

    import mmzs3  # noqa: F401
    init_default_scope('mmseg')
    mmseg_cls = TASK_UTILS.get('HungarianAssigner')
    mmdet_cls = TASK_UTILS.get('mmdet.HungarianAssigner')
    assert mmseg_cls.__module__.startswith('mmseg.')
    assert mmdet_cls.__module__.startswith('mmdet.')
