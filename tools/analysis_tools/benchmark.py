# Copyright (c) mmzs3 contributors. All rights reserved.
"""Benchmark ZegFormer inference, the CLIP branch, text encoding and
training iterations.

Examples::

    # exact vs fast end to end (+ exact vs the all-queries reference)
    python tools/analysis_tools/benchmark.py \\
        configs/zegformer/zegformer_r50_coco.py --shape 640 640 \\
        --repeat 3 --mode exact --compare --out bench.json
    # text encoding, cold vs warm cache
    python tools/analysis_tools/benchmark.py CONFIG --task text
    # ZegFormerHead vs mmseg MaskFormerHead training iterations
    python tools/analysis_tools/benchmark.py CONFIG --task train
    # whole-process peak RSS per stage, natural and hand-made masks (CPU)
    python tools/analysis_tools/benchmark.py CONFIG CKPT --task memory
    # the CLIP image tower in float32 vs CPU bf16 autocast
    python tools/analysis_tools/benchmark.py CONFIG CKPT --task bf16

Without a checkpoint the weights stay random (nothing is loaded), which
gives the same timings as trained weights for a fixed number of queries.
"""
import argparse
import copy
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from mmseg.utils import register_all_modules
from torchvision.ops import roi_align

import mmzs3  # noqa: F401  (registers mmzs3's modules)
from mmzs3.datasets.splits import get_split
from mmzs3.models.decode_heads.head_config import with_head_defaults
from mmzs3.models.decode_heads.head_defaults import MASK_HEAD_DEFAULTS
from mmzs3.models.text_encoders import get_templates
from mmzs3.models.utils import (calibrate_seen, fuse_class_probs,
                                masks_to_boxes, semantic_inference)
from mmzs3.models.utils.cpu_bf16 import cpu_has_native_bf16
from mmzs3.registry import MODELS

#: Memory task: the decoder's own masks, or hand-made ones (every query a
#: distinct box, so all of them go through the CLIP tower).
MASK_CASES = ('natural', 'handmade')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmzs3 benchmark')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (optional)')
    parser.add_argument('--task', default='infer',
                        choices=['infer', 'text', 'train', 'memory', 'bf16'])
    parser.add_argument('--shape', type=int, nargs=2, default=[640, 640],
                        metavar=('H', 'W'))
    parser.add_argument('--repeat', type=int, default=3,
                        help='runs per mode (memory task: images)')
    parser.add_argument('--mode', default='exact', choices=['exact', 'fast'])
    parser.add_argument('--clip-topk', type=int, default=13,
                        help='queries classified by CLIP in fast mode '
                        '(13 of 100, as zegformer_r50_coco_fast.py)')
    parser.add_argument('--compare', action='store_true',
                        help='infer: exact and fast side by side, plus the '
                        'all-queries reference of the CLIP branch; train: '
                        'always compares the two heads')
    parser.add_argument('--masks', nargs='+', default=list(MASK_CASES),
                        choices=MASK_CASES,
                        help="memory task: the decoder's own masks and/or "
                        'hand-made ones (all distinct); each case runs in a '
                        'fresh process')
    parser.add_argument('--split', default='coco_stuff_171',
                        help='zero-shot split giving the vocabulary')
    parser.add_argument('--text-classes', type=int, default=None,
                        help='text task: first N classes only')
    parser.add_argument('--batch', type=int, default=2,
                        help='train task: batch size')
    parser.add_argument('--amp', action='store_true',
                        help='train task: mixed precision (autocast)')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', help='JSON record to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


# ----------------------------------------------------------------- memory
class PeakMemory:
    """Peak memory above the level at entry: CUDA max allocated, or the
    process's peak RSS (VmHWM, reset through ``/proc/self/clear_refs``)."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == 'cuda'
        self.peak_mb = float('nan')

    def __enter__(self) -> 'PeakMemory':
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
        else:
            with open('/proc/self/clear_refs', 'w') as file:
                file.write('5')
            self.base = _proc_status_kb('VmRSS') * 1024
        return self

    def __exit__(self, *exc) -> None:
        if self.cuda:
            torch.cuda.synchronize()
            peak = torch.cuda.max_memory_allocated()
        else:
            peak = _proc_status_kb('VmHWM') * 1024
        self.peak_mb = (peak - self.base) / 2**20


class StageTimer:
    """Seconds of each stage of :func:`staged_inference`."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: Dict[str, float] = {}

    def __call__(self, name: str, fn: Callable):
        result, self.seconds[name] = timed(fn, self.device)
        return result


class StageMemory:
    """Resident memory of the whole process, stage by stage (CPU).

    For each stage: its seconds, RSS at its end (VmRSS), its own peak
    (VmHWM, reset through ``/proc/self/clear_refs`` at its start) and the
    process peak so far. Resetting VmHWM also resets
    ``getrusage().ru_maxrss``, so the process peak is kept here: the
    largest stage peak, or ``ru_maxrss`` read before the first reset
    (interpreter and imports).
    """

    HEADER = (f'{"stage":<34} {"seconds":>8} {"RSS after":>10} '
              f'{"stage peak":>10} {"process peak":>12}')

    def __init__(self) -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
        self.process_peak_kb = peak
        self.rows = []
        print(self.HEADER)
        self._add('start: interpreter and imports', 0.0, peak)

    def __call__(self, name: str, fn: Callable):
        with open('/proc/self/clear_refs', 'w') as file:
            file.write('5')
        result, seconds = timed(fn, torch.device('cpu'))
        self._add(name, seconds, _proc_status_kb('VmHWM'))
        return result

    def _add(self, name: str, seconds: float, peak_kb: int) -> None:
        """Record and print one stage (MiB)."""
        self.process_peak_kb = max(self.process_peak_kb, peak_kb)
        row = dict(stage=name, seconds=seconds,
                   rss_mib=_proc_status_kb('VmRSS') / 1024,
                   stage_peak_mib=peak_kb / 1024,
                   process_peak_mib=self.process_peak_kb / 1024)
        self.rows.append(row)
        print(f'{name:<34} {seconds:>8.2f} {row["rss_mib"]:>10.0f} '
              f'{row["stage_peak_mib"]:>10.0f} '
              f'{row["process_peak_mib"]:>12.0f}', flush=True)


def _proc_status_kb(field: str) -> int:
    with open('/proc/self/status') as file:
        for line in file:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def timed(fn: Callable, device: torch.device):
    """``(result, seconds)`` of ``fn()``."""
    if device.type == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = fn()
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


# --------------------------------------------------------------- reference
@torch.no_grad()
def reference_clip_logits(classifier, clip_images: torch.Tensor,
                          mask_logits: torch.Tensor,
                          text: torch.Tensor) -> torch.Tensor:
    """The official all-queries-at-once CLIP branch (see
    docs/official_implementation.md), as
    the reference of the exact mode: every query's full-size masked image
    (a (Q, 3, H, W) stack next to the repeated image), one ``roi_align``
    and one tower forward for all Q crops ('cropmask' style).

    Returns:
        Tensor: CLIP logits, shape (B, Q, K).
    """
    size = clip_images.shape[-2:]
    masks = F.interpolate(
        mask_logits.float(), size=size, mode='bilinear',
        align_corners=False).sigmoid() > classifier.mask_threshold
    logits = []
    for image, binary in zip(clip_images, masks):
        repeated = image[None].repeat(len(binary), 1, 1, 1)
        masked = repeated * binary[:, None].to(image.dtype)
        boxes = masks_to_boxes(binary).to(image.dtype)
        index = torch.arange(len(boxes), dtype=image.dtype)[:, None]
        rois = torch.cat([index.to(boxes.device), boxes], dim=1)
        crops = roi_align(masked, rois, classifier.image_size, 1.0, -1, True)
        feats = classifier.model.encode_image(crops).float()
        feats = F.normalize(feats, dim=-1)
        scale = classifier.model.logit_scale.exp().float()
        logits.append(scale * feats @ text.to(feats).t())
    return torch.stack(logits)


# ------------------------------------------------------------------ models
def build_model(args, clip_topk: Optional[int] = None, load: bool = True):
    """The config's model in eval mode with the split's vocabulary, and the
    checkpoint's weights if ``load``."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.clip_topk = clip_topk
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    if args.checkpoint and load:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    split = get_split(args.split)
    model.set_vocabulary(split.seen_classes, mode='train')
    model.set_vocabulary(split.classes, split.seen_classes, mode='test')
    return model.to(args.device).eval()


def make_inputs(model, args) -> Tuple[torch.Tensor, List[dict]]:
    h, w = args.shape
    torch.manual_seed(1)
    image = torch.randint(0, 256, (1, 3, h, w), dtype=torch.uint8)
    sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                                         pad_shape=(h, w)))
    data = model.data_preprocessor(
        dict(inputs=[image[0]], data_samples=[sample]), False)
    return data['inputs'].to(args.device), [
        s.metainfo for s in data['data_samples']
    ]


def handmade_mask_logits(num_queries: int, height: int,
                         width: int) -> torch.Tensor:
    """Mask logits of ``num_queries`` distinct boxes (+8 inside, -8
    outside), as the tests hand-make masks: query q's box starts on a
    10 x 10 grid cell of its own and spans 1-4 x 1-5 cells.

    Returns:
        Tensor: Mask logits, shape (1, Q, H, W).
    """
    logits = torch.full((1, num_queries, height, width), -8.0)
    cell_h, cell_w = max(height // 10, 1), max(width // 10, 1)
    for q in range(num_queries):
        top, left = (q // 10) % 10 * cell_h, q % 10 * cell_w
        logits[0, q, top:top + cell_h * (1 + q % 4),
               left:left + cell_w * (1 + q * 7 % 5)] = 8.0
    return logits


@torch.no_grad()
def staged_inference(model, inputs, metas, stage: Callable,
                     masks: str = 'natural'):
    """``encode_decode`` split into stages, each run through
    ``stage(name, fn)`` (a :class:`StageTimer` or :class:`StageMemory`).

    Args:
        masks (str): ``'handmade'`` replaces the decoder's mask logits with
            :func:`handmade_mask_logits`. Defaults to 'natural'.

    Returns:
        tuple[Tensor, Tensor]: Fused query probabilities (B, Q, K) and
        calibrated class maps (B, K, H, W).
    """
    embeddings = model.class_embeddings()  # memoised, not a stage
    x = stage('backbone', lambda: model.extract_feat(inputs))
    cls_logits, mask_logits = stage(
        'decoders',
        lambda: model.decode_head.predict_queries(x, embeddings, metas))
    if masks == 'handmade':
        mask_logits = handmade_mask_logits(
            *mask_logits.shape[1:]).to(mask_logits)
    seen = model.seen_mask().to(inputs.device)
    probs = stage(
        'clip_branch',
        lambda: model.query_probs(inputs, cls_logits, mask_logits, metas,
                                  seen))
    maps = stage(
        'fusion',
        lambda: calibrate_seen(
            semantic_inference(probs, mask_logits), seen,
            model.calibration_gamma))
    return probs, maps


def timed_inference(model, inputs, metas):
    """:func:`staged_inference` with a :class:`StageTimer`.

    Returns:
        tuple: Probabilities, class maps and stage seconds (with their
        ``total``).
    """
    timer = StageTimer(inputs.device)
    probs, maps = staged_inference(model, inputs, metas, timer)
    times = dict(timer.seconds, total=sum(timer.seconds.values()))
    return probs, maps, times


def bench_modes(models: Dict[str, object], inputs, metas,
                repeat: int) -> Dict[str, dict]:
    """Median stage times, images/s and inference peak memory per mode;
    runs of the modes are interleaved so they share the CPU load."""
    runs = {mode: [] for mode in models}
    for _ in range(repeat):
        for mode, model in models.items():
            runs[mode].append(timed_inference(model, inputs, metas)[2])
    results = {}
    for mode, model in models.items():
        median = {k: statistics.median(r[k] for r in runs[mode])
                  for k in runs[mode][0]}
        with PeakMemory(inputs.device) as mem:
            timed_inference(model, inputs, metas)
        results[mode] = dict(seconds=median,
                             images_per_s=1.0 / median['total'],
                             peak_mb_inference=mem.peak_mb, runs=runs[mode])
    return results


@torch.no_grad()
def compare_with_reference(model, inputs, metas) -> dict:
    """Exact CLIP branch vs :func:`reference_clip_logits`: fused
    probability difference, time and peak memory of each."""
    x = model.extract_feat(inputs)
    cls_logits, mask_logits = model.decode_head.predict_queries(
        x, model.class_embeddings(), metas)
    seen = model.seen_mask().to(inputs.device)
    clip_images = model.clip_inputs(inputs, metas)
    text = model.class_embeddings('clip')
    record = {}
    # exact first: it cannot reuse heap pages the reference freed
    for name, fn in (('exact', type(model.clip_classifier).__call__),
                     ('reference', reference_clip_logits)):
        with PeakMemory(inputs.device) as mem:
            logits, seconds = timed(
                lambda: fn(model.clip_classifier, clip_images, mask_logits,
                           text), inputs.device)
        probs = fuse_class_probs(cls_logits, logits, seen,
                                 model.fusion_mode, model.lam)
        record[name] = dict(seconds=seconds, peak_mb=mem.peak_mb,
                            probs=probs)
    diff = (record['exact'].pop('probs') -
            record['reference'].pop('probs')).abs().max().item()
    record['max_abs_diff_fused_probs'] = diff
    record['peak_ratio_exact_over_reference'] = (
        record['exact']['peak_mb'] / max(record['reference']['peak_mb'],
                                         1e-9))
    return record


def task_infer(args) -> dict:
    modes = ['exact', 'fast'] if args.compare else [args.mode]
    models = {}
    for mode in modes:
        models[mode] = build_model(
            args, args.clip_topk if mode == 'fast' else None)
    inputs, metas = make_inputs(models[modes[0]], args)
    for mode, model in models.items():
        _, seconds = timed(lambda: timed_inference(model, inputs, metas),
                           inputs.device)  # warm-up incl. text encoding
        print(f'[{mode}] first call (text encoding + warm-up) {seconds:.1f}s')
    record = dict(modes=bench_modes(models, inputs, metas, args.repeat))
    for mode in modes:
        print_mode(mode, record['modes'][mode])
    if args.compare:
        record['reference'] = compare_with_reference(models['exact'], inputs,
                                                     metas)
        print('exact vs reference:', json.dumps(record['reference']))
        exact, fast = (record['modes'][m]['seconds'] for m in modes)
        record['speedup_fast_over_exact'] = {
            k: exact[k] / fast[k] for k in exact if fast[k] > 0
        }
        print('speed-up fast/exact:', json.dumps(
            record['speedup_fast_over_exact']))
    return record


def print_mode(mode: str, result: dict) -> None:
    stages = ', '.join(f'{k} {v:.3f}s' for k, v in result['seconds'].items())
    print(f'[{mode}] {stages}; {result["images_per_s"]:.3f} img/s; '
          f'peak +{result["peak_mb_inference"]:.0f} MiB')


# ------------------------------------------------------------------ memory
def task_memory(args) -> dict:
    """Whole-process RSS per stage, one fresh process per mask case (peak
    RSS is a property of the process)."""
    if len(args.masks) == 1:
        return memory_case(args, args.masks[0])
    cases = {}
    for masks in args.masks:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, 'case.json')
            argv = _without_options(sys.argv[1:], ('--masks', '--out'))
            subprocess.run([sys.executable, os.path.abspath(__file__), *argv,
                            '--masks', masks, '--out', out], check=True)
            with open(out) as file:
                cases[masks] = json.load(file)
    return dict(cases=cases)


def _ignore(result) -> None:
    """Drop a stage's result inside the stage (not counted after it)."""
    del result


def _prefixed_stage(stage: Callable, prefix: str, name: str, fn: Callable):
    return stage(prefix + name, fn)


def _postprocess(model, maps: torch.Tensor, samples: List) -> None:
    """mmseg's post-processing (resize to the original size, argmax)."""
    model.postprocess_result(maps, samples)


def _without_options(argv: List[str], names: Tuple[str, ...]) -> List[str]:
    """``argv`` without the options ``names`` and their values."""
    kept, skipping = [], False
    for item in argv:
        if item.startswith('--'):
            skipping = item in names
        if not skipping:
            kept.append(item)
    return kept


def memory_case(args, masks: str) -> dict:
    """Model build, checkpoint load, text embeddings, then per image:
    backbone, decoders, CLIP branch, fusion and mmseg's post-processing;
    a table row (MiB) is printed as each stage ends."""
    print(f'[memory, {masks} masks] whole-process resident memory (MiB)')
    stage = StageMemory()
    model = stage('model build', lambda: build_model(args, load=False))
    if args.checkpoint:
        # the loaded checkpoint is dropped inside the stage, as users do
        stage('checkpoint load',
              lambda: _ignore(load_checkpoint(model, args.checkpoint,
                                              map_location=args.device)))
    inputs, metas = make_inputs(model, args)

    def text_embeddings() -> None:
        model.class_embeddings()
        if model.clip_classifier is not None:
            model.class_embeddings('clip')

    stage('text embeddings', text_embeddings)
    samples = [SegDataSample(metainfo=meta) for meta in metas]
    for index in range(args.repeat):
        prefix = f'image {index + 1}: ' if args.repeat > 1 else ''
        image_stage = functools.partial(_prefixed_stage, stage, prefix)
        maps = staged_inference(model, inputs, metas, image_stage, masks)[1]
        image_stage('post-processing',
                    functools.partial(_postprocess, model, maps, samples))
        maps = None
    print(f'[memory, {masks} masks] whole-process peak resident memory: '
          f'{stage.process_peak_kb / 2**20:.2f} GiB')
    return dict(masks=masks, stages=stage.rows,
                process_peak_mib=stage.process_peak_kb / 1024)


# -------------------------------------------------------------------- bf16
def task_bf16(args) -> dict:
    """The CLIP image tower in float32 and under CPU bf16 autocast, runs
    interleaved in one process: fused-probability difference, argmax
    agreement of the class maps and speed ratios. On a CPU without native
    bf16 the bf16 runs are emulated (``cpu_bf16='force'``)."""
    model = build_model(args)
    native = cpu_has_native_bf16()
    settings = dict(float32='off', bf16='auto' if native else 'force')
    inputs, metas = make_inputs(model, args)
    model.class_embeddings()
    model.class_embeddings('clip')
    runs = {name: [] for name in settings}
    outputs = {}
    for _ in range(args.repeat):
        for name, setting in settings.items():
            model.clip_classifier.cpu_bf16 = setting
            probs, maps, times = timed_inference(model, inputs, metas)
            runs[name].append(times)
            outputs[name] = (probs, maps.argmax(dim=1))
    median = {
        name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        for name, rs in runs.items()
    }
    (p32, a32), (p16, a16) = outputs['float32'], outputs['bf16']
    capabilities = getattr(torch.cpu, 'get_capabilities', dict)()
    record = dict(
        native_bf16=native, cpu=capabilities.get('cpu_name'),
        seconds=median, runs=runs,
        max_abs_diff_fused_probs=(p16 - p32).abs().max().item(),
        argmax_agreement=(a16 == a32).float().mean().item(),
        speedup_bf16_over_float32={
            k: median['float32'][k] / median['bf16'][k]
            for k in median['float32']
        })
    print(json.dumps({k: v for k, v in record.items() if k != 'runs'}))
    return record


# -------------------------------------------------------------------- text
def task_text(args) -> dict:
    """Cold vs warm (disk cache) text encoding of the split's vocabulary
    with the seg-branch and CLIP-branch templates."""
    cfg = Config.fromfile(args.config)
    names = list(get_split(args.split).classes)[:args.text_classes]
    sets = [cfg.model.text_encoder.get('templates', 'imagenet_select')]
    if cfg.model.get('clip_classifier'):
        sets.append(cfg.model.clip_classifier.get('templates', 'clip_select'))
    with tempfile.TemporaryDirectory() as cache_dir:
        enc_cfg = copy.deepcopy(cfg.model.text_encoder)
        enc_cfg.update(pretrained=None, cache_dir=cache_dir)
        torch.manual_seed(0)
        encoder = MODELS.build(enc_cfg).to(args.device)
        runs = {}
        for label in ('cold', 'warm'):
            encoder.clear_memo()  # as a fresh model build: re-hash weights
            outs, seconds = timed(
                lambda: [encoder.encode(names, t) for t in sets],
                torch.device(args.device))
            runs[label] = dict(seconds=seconds, outs=outs)
    identical = all(
        torch.equal(a, b)
        for a, b in zip(runs['cold']['outs'], runs['warm']['outs']))
    prompts = sum(len(get_templates(t)) for t in sets)
    record = dict(classes=len(names), templates_per_class=prompts,
                  cold_s=runs['cold']['seconds'],
                  warm_s=runs['warm']['seconds'],
                  speedup=runs['cold']['seconds'] / runs['warm']['seconds'],
                  bit_identical=identical)
    print(json.dumps(record))
    return record


# ------------------------------------------------------------------- train
def maskformer_twin(cfg: Config, num_classes: int) -> dict:
    """The model config with mmseg's ``MaskFormerHead`` (linear classifier
    over ``num_classes`` + no-object) instead of ``ZegFormerHead``."""
    head = copy.deepcopy(cfg.model.decode_head)
    head.update(
        with_head_defaults(
            {key: head.get(key)
             for key in MASK_HEAD_DEFAULTS}))
    head.type = 'MaskFormerHead'
    no_object = head.pop('no_object_weight', 0.1)
    head.pop('text_classifier', None)
    head.update(num_classes=num_classes, num_things_classes=0,
                num_stuff_classes=num_classes)
    head.loss_cls.class_weight = [1.0] * num_classes + [no_object]
    return dict(type='EncoderDecoder', backbone=cfg.model.backbone,
                decode_head=head,
                data_preprocessor=cfg.model.data_preprocessor,
                train_cfg=dict(), test_cfg=dict(mode='whole'))


#: Classes per training image: about a COCO-Stuff image's count. Each is a
#: ground-truth mask that MaskFormer's losses upsample to the input size.
SEGMENTS_PER_IMAGE = 8


def train_batch(args, num_classes: int):
    """Random images whose labels are 32-pixel blocks of
    :data:`SEGMENTS_PER_IMAGE` classes each."""
    h, w = args.shape
    g = torch.Generator().manual_seed(2)
    inputs = torch.randn(args.batch, 3, h, w, generator=g)
    samples = []
    for _ in range(args.batch):
        classes = torch.randperm(num_classes, generator=g)[:SEGMENTS_PER_IMAGE]
        blocks = classes[torch.randint(0, len(classes),
                                       (1, h // 32, w // 32), generator=g)]
        label = blocks.repeat_interleave(32, 1).repeat_interleave(32, 2)
        sample = SegDataSample(metainfo=dict(img_shape=(h, w),
                                             pad_shape=(h, w)))
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return inputs, samples


class TrainStepper:
    """One model's training iterations with its own AdamW optimizer.

    Args:
        model: The segmentor, already on its device.
        amp (bool): Run forward and loss under ``torch.autocast`` (bf16 on
            the CPU, fp16 with a ``GradScaler`` on CUDA).
    """

    def __init__(self, model, amp: bool) -> None:
        self.model = model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        self.optim = torch.optim.AdamW(params, lr=1e-4)
        self.device = next(model.parameters()).device
        self.amp = amp
        cuda = self.device.type == 'cuda'
        self.dtype = torch.float16 if cuda else torch.bfloat16
        self.scaler = torch.amp.GradScaler(
            self.device.type, enabled=amp and cuda)

    def step(self, inputs: torch.Tensor, samples: List) -> float:
        """Run one iteration; return its wall time in seconds."""
        def run():
            with torch.autocast(self.device.type, dtype=self.dtype,
                                enabled=self.amp):
                losses = self.model.loss(inputs, samples)
            total = sum(v for k, v in losses.items() if 'loss' in k)
            self.optim.zero_grad()
            self.scaler.scale(total).backward()
            self.scaler.step(self.optim)
            self.scaler.update()
        return timed(run, self.device)[1]


def task_train(args) -> dict:
    """ZegFormerHead vs MaskFormerHead training iterations, interleaved
    after one warm-up iteration each."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    split = get_split(args.split)
    torch.manual_seed(0)
    zeg = MODELS.build(cfg.model)
    zeg.set_vocabulary(split.seen_classes, mode='train')
    torch.manual_seed(0)
    twin = MODELS.build(maskformer_twin(cfg, len(split.seen_classes)))
    twin.backbone.load_state_dict(zeg.backbone.state_dict())
    inputs, samples = train_batch(args, len(split.seen_classes))
    inputs = inputs.to(args.device)
    samples = [s.to(args.device) for s in samples]
    steppers = dict(
        ZegFormerHead=TrainStepper(zeg.to(args.device), args.amp),
        MaskFormerHead=TrainStepper(twin.to(args.device), args.amp))
    times = {name: [] for name in steppers}
    peaks = {}
    for name, stepper in steppers.items():
        # the first iteration also allocates the optimizer state
        with PeakMemory(inputs.device) as mem:
            seconds = stepper.step(inputs, samples)
        peaks[name] = mem.peak_mb
        print(f'[{name}] warm-up iteration {seconds:.2f}s, '
              f'peak +{mem.peak_mb:.0f} MiB')
    for _ in range(args.repeat):  # interleave: same machine load for both
        for name, stepper in steppers.items():
            times[name].append(stepper.step(inputs, samples))
    med = {k: statistics.median(v) for k, v in times.items()}
    record = dict(batch=args.batch, shape=args.shape, amp=args.amp,
                  seconds=med, runs=times,
                  images_per_s={k: args.batch / v for k, v in med.items()},
                  peak_mb_first_iteration=peaks,
                  ratio=med['ZegFormerHead'] / med['MaskFormerHead'])
    print(json.dumps(record))
    return record


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    task = dict(infer=task_infer, text=task_text, train=task_train,
                memory=task_memory, bf16=task_bf16)
    record = task[args.task](args)
    record.update(config=args.config, checkpoint=args.checkpoint,
                  task=args.task, shape=args.shape, repeat=args.repeat,
                  clip_topk=args.clip_topk, device=args.device,
                  threads=torch.get_num_threads(),
                  load=os.getloadavg(), machine=platform.processor(),
                  torch=torch.__version__)
    if args.out:
        with open(args.out, 'w') as file:
            json.dump(record, file, indent=2, default=str)


if __name__ == '__main__':
    main()
