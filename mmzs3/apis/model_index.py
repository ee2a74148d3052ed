# Copyright (c) mmzs3 contributors. All rights reserved.
"""The model index: named models from ``configs/*/metafile.yaml``.

The metafiles use mmseg's format (``Models`` entries with ``Name``,
``Config``, ``Weights``, ``Results``). ``Weights`` is the file name of the
converted (mmzs3) checkpoint, looked up in a local checkpoint folder, since
the official checkpoints are on Google Drive and must be downloaded and
converted by the user (``docs/model_zoo.md``).
"""
import glob
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.fileio import load

#: Environment variable naming the local checkpoint folder.
CHECKPOINT_DIR_ENV = 'MMZS3_CHECKPOINT_DIR'


def _config_root() -> str:
    """``configs/`` of a source checkout, or of an installed package."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for root in (osp.join(osp.dirname(package), 'configs'),
                 osp.join(package, '.mim', 'configs')):
        if osp.isdir(root):
            return root
    raise FileNotFoundError(
        f'mmzs3 configs not found next to {package} (a source checkout) '
        'nor in its .mim folder (an installed package)')


def load_model_index() -> Dict[str, dict]:
    """Every model of every metafile, by lower-case name and alias.

    Returns:
        dict[str, dict]: Metafile entries whose ``Config`` is made absolute.
    """
    root = _config_root()
    models = {}
    for path in sorted(glob.glob(osp.join(root, '*', 'metafile.yaml'))):
        for entry in load(path).get('Models', []):
            entry = dict(entry)
            entry['Config'] = osp.join(osp.dirname(root), entry['Config'])
            aliases = entry.get('Alias', [])
            if isinstance(aliases, str):
                aliases = [aliases]
            for name in [entry['Name'], *aliases]:
                models[name.lower()] = entry
    return models


def list_models() -> List[str]:
    """Names of the indexed models (without aliases), sorted."""
    return sorted({e['Name'] for e in load_model_index().values()})


def checkpoint_dir(path: Optional[str] = None) -> str:
    """The local checkpoint folder: ``path``, else ``$MMZS3_CHECKPOINT_DIR``,
    else ``checkpoints`` in the current directory."""
    return path or os.environ.get(CHECKPOINT_DIR_ENV) or 'checkpoints'


def get_model_entry(name: str) -> dict:
    """The metafile entry of a model name or alias (case-insensitive).

    Raises:
        KeyError: If no model has that name; the message lists the names.
    """
    entry = load_model_index().get(name.lower())
    if entry is None:
        raise KeyError(f'no model named {name!r} in the model index; '
                       f'known models: {list_models()}')
    return entry


def resolve_model(name: str,
                  ckpt_dir: Optional[str] = None) -> Tuple[str, str]:
    """Config file and local checkpoint of an indexed model.

    Args:
        name (str): Model name or alias, e.g. ``'zegformer_r50_coco'``.
        ckpt_dir (str, optional): Folder holding the converted checkpoints.
            Defaults to None (see :func:`checkpoint_dir`).

    Returns:
        tuple[str, str]: The config path and the checkpoint path.

    Raises:
        KeyError: If no model has that name.
        FileNotFoundError: If the checkpoint file is not in the folder; the
            message names the expected file and how to make it.
    """
    entry = get_model_entry(name)
    weights = osp.join(checkpoint_dir(ckpt_dir), entry['Weights'])
    if not osp.isfile(weights):
        official = entry.get('Converted From', {}).get('Weights', 'the '
                                                       'official checkpoint')
        raise FileNotFoundError(
            f'checkpoint of {entry["Name"]!r} not found: expected the local '
            f'file {weights} (set ${CHECKPOINT_DIR_ENV} or checkpoint_dir to '
            f'its folder). Download {official} and convert it: python '
            'tools/model_converters/zegformer2mmzs3.py '
            f'{official} {weights} --clip ViT-B-16.pt --dataset '
            f'{converter_dataset(entry["Name"])} (docs/model_zoo.md)')
    return entry['Config'], weights


#: Model-name suffix -> the converter's ``--dataset`` (the training set).
_CONVERTER_DATASETS = {'coco': 'coco-stuff', 'voc': 'voc', 'ade847': 'ade847'}


def converter_dataset(name: str) -> str:
    """The converter's ``--dataset`` for a model name (``*_coco``,
    ``*_voc``, ``*_ade847``), or a placeholder naming the choices."""
    suffix = name.rsplit('_', 1)[-1]
    return _CONVERTER_DATASETS.get(suffix, '<coco-stuff|voc|ade847>')
