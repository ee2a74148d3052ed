# Copyright (c) mmzs3 contributors. All rights reserved.
"""Building open_clip models and loading their weights, offline-friendly.

open_clip's ``create_model`` couples building with downloading and logs
through the root logger; the helpers here build an architecture with random
weights and no I/O, and load weights later (``init_weights``) from a local
file or a pretrained tag, into one tower only if asked.
"""
import concurrent.futures
import os
import os.path as osp
import socket
import warnings
import zipfile
from contextlib import contextmanager
from copy import deepcopy
from typing import Dict, Iterable, Iterator, List, Optional
from urllib.parse import urlparse

import open_clip
import torch
from open_clip import factory as open_clip_factory
from open_clip import model as open_clip_model
from open_clip.convert import convert_state_dict
from torch import nn

#: Which part of a CLIP model a module keeps: its text tower, its image
#: tower (with ``logit_scale``/``logit_bias``), or everything.
PARTS = ('text', 'visual', 'all')
_SCALE_KEYS = ('logit_scale', 'logit_bias')
#: Extra entries of OpenAI's JIT archives that are not weights.
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')
_HF_WEIGHTS = 'open_clip_pytorch_model.bin'
#: open_clip's builder of each tower, called by every CLIP constructor.
_TOWER_BUILDERS = {
    'visual': '_build_vision_tower',
    'text': '_build_text_tower'
}
_OFFLINE_PROBE_S = 1.5


def register_open_clip_config(model_name: str, model_cfg: dict) -> None:
    """Register an architecture dict in open_clip's model-config table.

    Args:
        model_name (str): Name to register the architecture under.
        model_cfg (dict): open_clip architecture (``embed_dim``,
            ``vision_cfg``, ``text_cfg``, ...).

    Raises:
        ValueError: If the dict lacks a required key, or ``model_name`` is
            already registered with a different architecture.
    """
    required = ('embed_dim', 'vision_cfg', 'text_cfg')
    missing = [k for k in required if k not in model_cfg]
    if missing:
        raise ValueError(f'model_cfg for {model_name!r} lacks {missing}')
    model_cfg = deepcopy(dict(model_cfg))
    known = open_clip_factory._MODEL_CONFIGS.get(model_name)
    if known is not None and known != model_cfg:
        raise ValueError(
            f'open_clip already has an architecture named {model_name!r} '
            'that differs from the given model_cfg; choose another name')
    # open_clip has no public API to register a dict (only files), so the
    # table is filled directly, which keeps the constructor free of I/O.
    open_clip_factory._MODEL_CONFIGS[model_name] = model_cfg


def pretrained_quick_gelu(model_name: str, pretrained: Optional[str]) -> bool:
    """Whether a pretrained tag was trained with QuickGELU (e.g. OpenAI's).

    Args:
        model_name (str): open_clip architecture name.
        pretrained (str, optional): A pretrained tag or a file path.

    Returns:
        bool: True if ``pretrained`` is a tag of ``model_name`` whose
        weights need QuickGELU activations.
    """
    if not pretrained:
        return False
    cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
    return bool(cfg.get('quick_gelu', False))


def build_open_clip(model_name: str,
                    model_cfg: Optional[dict] = None,
                    quick_gelu: bool = False,
                    part: str = 'all') -> nn.Module:
    """Build an open_clip CLIP model with random weights and no I/O.

    With ``part='text'`` or ``'visual'`` only that part is allocated: the
    other tower is built on the meta device (no memory, no random draws)
    and dropped with :func:`keep_part`, so a ViT-B/16 text encoder never
    holds the 86 M image-tower weights, even for a moment.

    Args:
        model_name (str): open_clip architecture name (e.g. ``'ViT-B-16'``).
        model_cfg (dict, optional): Architecture dict; if given it is first
            registered under ``model_name``. Defaults to None.
        quick_gelu (bool): Force QuickGELU activations, as OpenAI's weights
            need. Defaults to False.
        part (str): The part to build and keep, one of :data:`PARTS`.
            Defaults to 'all'.

    Returns:
        nn.Module: An open_clip ``CLIP``, ``CustomTextCLIP`` or ``CoCa``
        (reduced to ``part``; a ``CoCa`` builds both towers first).
    """
    _check_part(part)
    if model_cfg is not None:
        register_open_clip_config(model_name, model_cfg)
    cfg = open_clip.get_model_config(model_name)
    if cfg is None:
        raise ValueError(
            f'open_clip has no architecture named {model_name!r}; pass '
            '`model_cfg` or pick one of open_clip.list_models()')
    # Tower-level base weights (timm / HF) are never fetched here.
    cfg['vision_cfg']['timm_model_pretrained'] = False
    cfg['text_cfg']['hf_model_pretrained'] = False
    if quick_gelu:
        cfg['quick_gelu'] = True
    custom_text = (
        cfg.pop('custom_text', False)
        or 'hf_model_name' in cfg['text_cfg'])
    if 'multimodal_cfg' in cfg:
        model_class = open_clip.CoCa
    elif custom_text:
        model_class = open_clip.CustomTextCLIP
    else:
        model_class = open_clip.CLIP
    with _other_tower_on_meta(part):
        model = model_class(**cfg)
    return keep_part(model, part)


@contextmanager
def _other_tower_on_meta(part: str) -> Iterator[None]:
    """Build the tower outside ``part`` on the meta device.

    open_clip has no option to build one tower of a CLIP model: every
    constructor builds both through its module-level tower builders, so the
    one outside ``part`` is wrapped for the duration of the build.
    """
    if part == 'all':
        yield
        return
    name = _TOWER_BUILDERS['text' if part == 'visual' else 'visual']
    build = getattr(open_clip_model, name)

    def build_on_meta(*args, **kwargs) -> nn.Module:
        with torch.device('meta'):
            return build(*args, **kwargs)

    setattr(open_clip_model, name, build_on_meta)
    try:
        yield
    finally:
        setattr(open_clip_model, name, build)


def part_of_key(key: str) -> str:
    """The part (``'text'`` or ``'visual'``) a CLIP state-dict key is in."""
    if key.startswith('visual.') or key in _SCALE_KEYS:
        return 'visual'
    return 'text'


def keep_part(model: nn.Module, part: str) -> nn.Module:
    """Drop every top-level member of ``model`` outside ``part``, in place.

    ``'text'`` keeps the text tower only; ``'visual'`` keeps ``visual`` and
    ``logit_scale``/``logit_bias``; ``'all'`` keeps everything.

    Args:
        model (nn.Module): An open_clip CLIP model.
        part (str): One of :data:`PARTS`.

    Returns:
        nn.Module: ``model`` itself.
    """
    _check_part(part)
    if part == 'all':
        return model
    for members in (model._modules, model._parameters, model._buffers):
        for name in list(members):
            member_part = 'visual' if name in _SCALE_KEYS else part_of_key(
                name + '.')
            if member_part != part:
                setattr(model, name, None)
    return model


def load_open_clip_weights(model: nn.Module, pretrained: str,
                           model_name: str, parts: str = 'all') -> None:
    """Load open_clip or OpenAI weights into (part of) a CLIP model.

    Args:
        model (nn.Module): The open_clip model, possibly reduced with
            :func:`keep_part`. Every one of its keys in ``parts`` must be in
            the checkpoint; other checkpoint keys are ignored.
        pretrained (str): A local file (open_clip state dict, open_clip
            training checkpoint with ``state_dict``, OpenAI ``.pt`` JIT
            archive or state dict, ``.safetensors``) or an open_clip
            pretrained tag of ``model_name`` (e.g. ``'openai'``).
        model_name (str): open_clip architecture name (to resolve tags).
        parts (str): ``'text'``, ``'visual'`` or ``'all'``.
            Defaults to ``'all'``.

    Raises:
        FileNotFoundError: If ``pretrained`` is neither a file nor a tag,
            or a tag's weights are not cached and the machine is offline.
        ValueError: If the checkpoint lacks keys of ``parts`` or holds
            them with other shapes (another architecture).
    """
    _check_part(parts)
    path = resolve_pretrained(pretrained, model_name)
    state_dict = read_clip_state_dict(path, model)
    expected = {
        k: v
        for k, v in model.state_dict().items()
        if parts == 'all' or part_of_key(k) == parts
    }
    for key in _SCALE_KEYS:
        # scalar vs 1-element logit_scale differ between open_clip versions
        if key in expected and key in state_dict and \
                state_dict[key].numel() == expected[key].numel() == 1:
            state_dict[key] = state_dict[key].reshape(expected[key].shape)
    _check_compatible(state_dict, expected, path, parts)
    # Copied one tensor at a time (converting the dtype on the fly) and
    # released at once: no second, converted copy of the checkpoint exists.
    with torch.no_grad():
        for key, target in expected.items():
            target.copy_(state_dict.pop(key))


def resolve_pretrained(pretrained: str, model_name: str) -> str:
    """Turn a file path or an open_clip tag into a local file path.

    Args:
        pretrained (str): A file path or an open_clip pretrained tag.
        model_name (str): open_clip architecture name.

    Returns:
        str: Path of a local weights file.

    Raises:
        FileNotFoundError: If nothing local matches and nothing can be
            downloaded (unknown tag, missing file, or offline).
    """
    path = osp.expanduser(pretrained)
    if osp.isfile(path):
        return path
    tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
    if not tag_cfg:
        tags = open_clip.list_pretrained_tags_by_model(model_name)
        raise FileNotFoundError(
            f'pretrained weights {pretrained!r}: no such file, and not an '
            f'open_clip tag of {model_name!r} (its tags: {tags})')
    cached = _cached_tag_file(tag_cfg)
    if cached is not None:
        return cached
    if _is_offline(tag_cfg):
        raise FileNotFoundError(
            f'weights of open_clip tag {pretrained!r} for {model_name!r} are '
            'not in the local cache (~/.cache/clip or the Hugging Face cache)'
            ' and this machine is offline; download them on a connected '
            'machine or set `pretrained` to a local file path')
    return open_clip.download_pretrained(tag_cfg)


def read_clip_state_dict(path: str,
                         model: Optional[nn.Module] = None
                         ) -> Dict[str, torch.Tensor]:
    """Read a CLIP state dict from an open_clip or OpenAI checkpoint file.

    Args:
        path (str): Local checkpoint file.
        model (nn.Module, optional): Target model, for open_clip's
            third-party format conversions. Defaults to None.

    Returns:
        dict[str, Tensor]: State dict with open_clip key names.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    if _is_torchscript(path):
        # OpenAI's released .pt files are TorchScript archives.
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', FutureWarning)
            state_dict = torch.jit.load(path, map_location='cpu').state_dict()
    else:
        state_dict = open_clip_factory.load_state_dict(
            path, weights_only=True)
    state_dict = {
        k: v
        for k, v in state_dict.items() if k not in _OPENAI_EXTRA_KEYS
    }
    if model is not None:
        state_dict = convert_state_dict(model, state_dict)
    return state_dict


def _is_torchscript(path: str) -> bool:
    """True for a TorchScript archive (it holds ``constants.pkl``)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(
            name.endswith('constants.pkl') for name in archive.namelist())


def _check_compatible(state_dict: Dict[str, torch.Tensor],
                      expected: Dict[str, torch.Tensor], path: str,
                      parts: str) -> None:
    """Raise a ValueError naming missing keys and mismatching shapes."""
    missing = [k for k in expected if k not in state_dict]
    shapes = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
        f'{tuple(v.shape)}' for k, v in expected.items()
        if k in state_dict and state_dict[k].shape != v.shape
    ]
    if not missing and not shapes:
        return
    lines = [f'{path} does not fit the {parts!r} part of this open_clip '
             'architecture (weights of another architecture?)']
    if missing:
        lines.append(f'missing keys ({len(missing)}): {_head(missing)}')
    if shapes:
        lines.append(f'shape mismatches ({len(shapes)}): {_head(shapes)}')
    raise ValueError('; '.join(lines))


def _head(items: List[str], n: int = 5) -> str:
    return ', '.join(items[:n]) + (' ...' if len(items) > n else '')


def _check_part(part: str) -> None:
    if part not in PARTS:
        raise ValueError(f'parts must be one of {PARTS}, got {part!r}')


def _cached_tag_file(tag_cfg: dict) -> Optional[str]:
    """Local file of a pretrained tag if it is already cached, else None."""
    if tag_cfg.get('file'):
        return tag_cfg['file']
    hf_hub = tag_cfg.get('hf_hub', '')
    if hf_hub:
        from huggingface_hub import try_to_load_from_cache
        repo_id, filename = osp.split(hf_hub)
        filename = filename or _HF_WEIGHTS
        for name in _hf_candidates(filename):
            found = try_to_load_from_cache(repo_id, name)
            if isinstance(found, str):
                return found
    url = tag_cfg.get('url', '')
    if url:
        target = osp.join(
            osp.expanduser('~/.cache/clip'), osp.basename(urlparse(url).path))
        if osp.isfile(target):
            return target
    return None


def _hf_candidates(filename: str) -> Iterable[str]:
    stem, ext = osp.splitext(filename)
    if ext in ('.bin', '.pth'):
        yield stem + '.safetensors'
    yield filename


def _is_offline(tag_cfg: dict) -> bool:
    """True if downloads are disabled or the weights' host cannot be
    resolved within a short, bounded time (no retry loops)."""
    if os.environ.get('HF_HUB_OFFLINE', '0').lower() in ('1', 'true', 'yes'):
        return True
    host = 'huggingface.co' if tag_cfg.get('hf_hub') else urlparse(
        tag_cfg.get('url', '')).hostname
    if not host:
        return True
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(socket.getaddrinfo, host, 443)
    pool.shutdown(wait=False)
    try:
        future.result(timeout=_OFFLINE_PROBE_S)
    except Exception:
        return True
    return False
