# Copyright (c) mmzs3 contributors. All rights reserved.
"""``import mmzs3`` changes nothing in mmengine; the opt-in changes it."""
import json
import subprocess
import sys

from ..conftest import REPO_ROOT

# Runs in a fresh interpreter: imports the stack, takes every object the
# opt-in may replace, imports what argv[1] names, and prints the names of
# the objects that are no longer the same (identity, not equality).
PROBE = r"""
import json, sys
import mmcv, mmdet.models, mmseg.models  # the stack, before mmzs3
import mmengine.fileio, mmengine.runner.checkpoint as ckpt
from mmengine.config import Config
from mmengine.dataset import base_dataset
from mmengine.fileio.backends import registry_utils
from mmengine.hooks import checkpoint_hook

def snapshot():
    objects = {f'scheme {p!r}': f
               for p, f in ckpt.CheckpointLoader._schemes.items()}
    objects.update({f'checkpoint.{name}': getattr(ckpt, name)
                    for name in ('load_from_local', '_load_checkpoint',
                                 'load_checkpoint', 'save_checkpoint')})
    objects.update({f'backend {n!r}': b
                    for n, b in registry_utils.backends.items()})
    objects.update({f'prefix {p!r}': b
                    for p, b in registry_utils.prefix_to_backends.items()})
    objects['checkpoint_hook.open'] = vars(checkpoint_hook).get('open')
    objects['base_dataset.list_from_file'] = base_dataset.list_from_file
    objects['fileio.list_from_file'] = mmengine.fileio.list_from_file
    return objects

before = snapshot()
if sys.argv[1].endswith('.py'):  # a config file
    Config.fromfile(sys.argv[1])
else:
    __import__(sys.argv[1])
after = snapshot()
print(json.dumps(sorted(k for k in before.keys() | after.keys()
                        if before.get(k) is not after.get(k))))
"""


def _changed_by(what: str) -> list:
    result = subprocess.run([sys.executable, '-c', PROBE, what],
                            cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_import_mmzs3_changes_nothing_in_mmengine():
    assert _changed_by('mmzs3') == []


def test_config_importing_mmzs3_changes_nothing_in_mmengine(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text("custom_imports = dict(imports=['mmzs3'])\n")
    assert _changed_by(str(config)) == []


def test_the_opt_in_changes_exactly_the_documented_four(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text('custom_imports = dict(imports='
                      "['mmzs3', 'mmzs3.utils.safe_io_patch'])\n")
    assert set(_changed_by(str(config))) == {
        "scheme ''", "backend 'local'", "prefix ''", 'checkpoint_hook.open',
        'base_dataset.list_from_file'
    }
