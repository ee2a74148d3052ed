# Copyright (c) mmzs3 contributors. All rights reserved.
"""Run the embedded default end to end: ZegFormer in miniature on the CPU.

Stages (each writes a completion marker under ``WORK_DIR/.done``; a second
run skips the finished ones and resumes the others; the markers of the data
and CLIP stages hold their output paths, so several runs can share them):

1. generate the synthetic benchmark (its scenes and image-caption set);
2. pretrain the tiny CLIP on the image-caption set, export it as an
   open_clip checkpoint;
3. pretrain the segmentation backbone at image level on the same set (the
   analogue of an ImageNet-pretrained backbone);
4. train ZegFormer on seen-class pixel labels;
5. evaluate seg-only, img-only and fused;
6. train and evaluate the pixel-level baseline (same backbone, pretraining
   and budget);
7. print the table of seen mIoU, unseen mIoU and hIoU, with the chance
   level of a uniformly random per-pixel predictor, the per-class IoU table
   and the wall time of each stage, and write prediction images with
   class-name legends.

Example::

    python tools/run_embedded_default.py --work-dir work_dirs/embedded_default

``docs/synthetic_benchmark.md`` describes the benchmark and the results.
"""
import argparse
import glob
import json
import os
import os.path as osp
import resource
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ZEGFORMER_CFG = 'configs/zegformer/zegformer_tiny_synthetic.py'
BASELINE_CFG = 'configs/zegformer/pixel_baseline_tiny_synthetic.py'
CLIP_CFG = 'configs/clip_pretrain/tiny_clip_synthetic.py'
BACKBONE_CFG = 'configs/backbone_pretrain/resnet18-slim_synthetic.py'
MODES = ('seg', 'img', 'fused')
#: The test config of each mode; the training config tests in fused mode.
MODE_CFGS = dict(
    seg=ZEGFORMER_CFG.replace('.py', '_seg.py'),
    img=ZEGFORMER_CFG.replace('.py', '_img.py'),
    fused=ZEGFORMER_CFG)
ROWS = (('ZegFormer seg-only', 'seg'), ('ZegFormer img-only', 'img'),
        ('ZegFormer fused', 'fused'), ('Pixel-level baseline', 'baseline'))
METRIC_KEYS = ('mIoU_seen', 'mIoU_unseen', 'hIoU')
#: Generator arguments of the full run and of ``--quick``.
DATA_ARGS = dict(full=[], quick=[
    '--num-train', '16', '--num-val', '4', '--captions-per-class', '4',
    '--val-captions-per-class', '1'
])
#: Config overrides of the full run and of ``--quick`` (per stage).
QUICK = dict(
    clip=['train_cfg.max_iters=4', 'train_dataloader.batch_size=16',
          'param_scheduler=[]', 'default_hooks.checkpoint.interval=4',
          'default_hooks.logger.interval=1'],
    backbone=['train_cfg.max_iters=2', 'train_dataloader.batch_size=16',
              'param_scheduler=[]', 'default_hooks.checkpoint.interval=2',
              'default_hooks.logger.interval=1'],
    seg=['train_cfg.max_iters=3', 'train_cfg.val_interval=3',
         'train_dataloader.batch_size=2',
         'default_hooks.checkpoint.interval=3',
         'default_hooks.logger.interval=1', 'param_scheduler=[]'])
NUM_IMAGES = dict(full=4, quick=2)
#: Side of each panel of the prediction images, in pixels.
PANEL_SIZE = 384
STAGES = (('data', 'generate the synthetic benchmark'),
          ('clip', 'pretrain the tiny CLIP (image-caption set)'),
          ('backbone', 'pretrain the backbone (image-level labels)'),
          ('zegformer', 'train ZegFormer (seen-class pixel labels)'),
          ('evaluate', 'evaluate ZegFormer: seg-only, img-only, fused'),
          ('baseline', 'train and evaluate the pixel-level baseline'),
          ('results', 'results, per-class IoU and prediction images'))


class Pipeline:
    """The stages of the embedded default, sharing a work dir.

    Args:
        work_dir (str): Root of every output.
        seed (int): Seed of the data, the CLIP pretraining and both
            segmentation trainings.
        quick (bool): Tiny sizes for a fast smoke run.
        jobs (int): Stages run side by side: with 2, the data is written
            by 2 processes, the two pretrainings run together, then
            ZegFormer's training beside the baseline's (training and
            evaluation), then ZegFormer's three evaluations on both slots;
            each tool gets half the CPU threads and writes its output to
            ``WORK_DIR/logs/``. Defaults to 1 (one after the other, output
            printed).
    """

    def __init__(self,
                 work_dir: str,
                 seed: int,
                 quick: bool,
                 jobs: int = 1) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.seed = seed
        self.jobs = max(1, jobs)
        self._slot = threading.local()
        self.size = 'quick' if quick else 'full'
        self.start = time.time()
        self.data_root = osp.join(self.work_dir, 'data', 'synthetic_shapes')
        self.clip_dir = osp.join(self.work_dir, 'tiny_clip')
        self.clip_weights = osp.join(self.clip_dir, 'open_clip',
                                     'open_clip_pytorch_model.bin')
        self.backbone_weights = ''

    # -- helpers ---------------------------------------------------------
    def header(self, stage: str) -> None:
        """Print a stage header with the elapsed time."""
        names = [name for name, _ in STAGES]
        title = dict(STAGES)[stage]
        elapsed = time.time() - self.start
        print(f'\n=== [{elapsed / 60:5.1f} min] {names.index(stage) + 1}/'
              f'{len(STAGES)} {title} ===', flush=True)

    def marker(self, stage: str) -> str:
        """Path of a stage's completion marker."""
        return osp.join(self.work_dir, '.done', stage + '.json')

    def done(self, stage: str) -> Optional[dict]:
        """The marker's content if the stage finished, else None."""
        path = self.marker(stage)
        if not osp.isfile(path):
            return None
        with open(path) as f:
            return json.load(f)

    def restore(self, stage: str, attr: str, key: str) -> bool:
        """If ``stage`` finished, set ``attr`` to its marker's ``key`` (an
        output path) and say so; return whether it finished."""
        marker = self.done(stage)
        if marker:
            setattr(self, attr, marker[key])
            print('done already: ' + marker[key])
        return bool(marker)

    def finish(self, stage: str, content: dict) -> None:
        """Write a stage's completion marker atomically."""
        from mmzs3.utils.atomic_write import atomic_write
        with atomic_write(self.marker(stage), 'w') as f:
            json.dump(content, f, indent=2)

    def timed(self, stage: str, step: Callable[[], Any]) -> Any:
        """Run one stage, recording its wall time (kept across resumes)."""
        self.header(stage)
        marker = self.done('time_' + stage)
        start = time.time()
        result = step()
        if marker is None:
            self.finish('time_' + stage, dict(seconds=time.time() - start))
        return result

    def stage_seconds(self) -> Dict[str, float]:
        """Wall time of every finished stage, in seconds."""
        times = {}
        for stage, _ in STAGES:
            marker = self.done('time_' + stage)
            if marker is not None:
                times[stage] = marker['seconds']
        return times

    def run_tool(self, args: List[str], log_name: str = '') -> None:
        """Run a script of this repository with this interpreter.

        With ``jobs`` > 1 each tool gets ``cpu_count // jobs`` threads and,
        given ``log_name``, writes its output to ``WORK_DIR/logs/`` instead
        of the console (side-by-side stages would interleave it).
        """
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [REPO_ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
        cores = job_cores(getattr(self._slot, 'index', None), self.jobs)
        if self.jobs > 1:
            threads = str(max(1, len(cores) or (os.cpu_count() or 1) //
                              self.jobs))
            env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
        if self.jobs == 1 or not log_name:
            print('$ ' + ' '.join(args), flush=True)
            subprocess.run([sys.executable] + args, cwd=REPO_ROOT, env=env,
                           check=True)
            return
        log = osp.join(self.work_dir, 'logs', log_name + '.log')
        os.makedirs(osp.dirname(log), exist_ok=True)
        print(f'$ {" ".join(args)}\n  (output: {log})', flush=True)
        with open(log, 'a') as out:
            # pinned from here: preexec_fn is unsafe in a threaded parent
            proc = subprocess.Popen([sys.executable] + args, cwd=REPO_ROOT,
                                    env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
            if cores:
                os.sched_setaffinity(proc.pid, cores)
            code = proc.wait()
        if code:
            with open(log) as f:
                tail = f.read()[-3000:]
            raise RuntimeError(f'{args[0]} failed (exit code {code}); the '
                               f'end of {log}:\n{tail}')

    def side_by_side(self, *steps: Callable[[], Any]) -> List[Any]:
        """Run steps together (``jobs`` > 1) or one after the other."""
        if self.jobs == 1:
            return [step() for step in steps]
        with ThreadPoolExecutor(min(self.jobs, len(steps))) as pool:
            futures = [
                pool.submit(self._in_slot, slot, step)
                for slot, step in enumerate(steps)
            ]
            return [future.result() for future in futures]

    def _in_slot(self, slot: int, step: Callable[[], Any]) -> Any:
        """Run a side-by-side step; its tools run on the slot's cores."""
        self._slot.index = slot
        return step()

    def data_options(self) -> List[str]:
        """Config overrides pointing a segmentation config to this run."""
        options = [
            f'{loader}.dataset.dataset.data_root={self.data_root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
        ]
        options += [
            f'model.text_encoder.pretrained={self.clip_weights}',
            f'model.backbone.init_cfg.checkpoint={self.backbone_weights}',
            f'randomness.seed={self.seed}'
        ]
        if self.size == 'quick':
            options += QUICK['seg']
        return options

    # -- stages ----------------------------------------------------------
    def generate(self) -> None:
        """Stage 1: the synthetic scenes and the image-caption set, written
        by ``jobs`` processes."""
        if self.restore('data', 'data_root', 'data_root'):
            return
        self.run_tool([
            'tools/dataset_converters/synthetic_shapes.py', '--out',
            self.data_root, '--seed',
            str(self.seed), '--workers',
            str(self.jobs)
        ] + DATA_ARGS[self.size])
        self.finish('data', dict(data_root=self.data_root))

    def pretrain(self, stage: str, config: str, folder: str) -> str:
        """Train an image-level pretraining config on the caption set.

        Args:
            stage (str): 'clip' or 'backbone' (selects the quick overrides).
            config (str): The pretraining config.
            folder (str): Folder of the training, under the work dir.

        Returns:
            str: The work dir of the training.
        """
        captions = osp.join(self.data_root, 'captions')
        options = [
            f'train_dataloader.dataset.data_root={captions}',
            f'randomness.seed={self.seed}'
        ]
        if self.size == 'quick':
            options += QUICK[stage]
        train_dir = osp.join(self.work_dir, folder, 'train')
        self.run_tool(['tools/train.py', config, '--work-dir', train_dir,
                       '--resume', '--cfg-options'] + options, stage)
        return train_dir

    def pretrain_clip(self) -> None:
        """Stage 2: contrastive pretraining of the tiny CLIP, then export."""
        if self.restore('clip', 'clip_weights', 'weights'):
            return
        train_dir = self.pretrain('clip', CLIP_CFG, 'tiny_clip')
        self.run_tool([
            'tools/misc/export_open_clip.py',
            osp.join(train_dir, osp.basename(CLIP_CFG)),
            last_checkpoint(train_dir),
            osp.dirname(self.clip_weights)
        ], 'clip_export')
        self.finish('clip', dict(weights=self.clip_weights))

    def pretrain_backbone(self) -> None:
        """Stage 3: image-level classification pretraining of the backbone.
        """
        if self.restore('backbone', 'backbone_weights', 'weights'):
            return
        train_dir = self.pretrain('backbone', BACKBONE_CFG,
                                  'backbone_pretrain')
        self.backbone_weights = last_checkpoint(train_dir)
        self.finish('backbone', dict(weights=self.backbone_weights))

    def train(self, stage: str, config: str) -> str:
        """Train a segmentor (resuming), return its checkpoint."""
        work_dir = osp.join(self.work_dir, stage)
        marker = self.done(stage)
        if marker:
            print('done already: ' + marker['checkpoint'])
            return marker['checkpoint']
        # No validation loop (mmengine's would still run after the last
        # iteration): the evaluation stage tests each mode.
        options = [
            option for option in self.data_options()
            if not option.startswith('val_dataloader.')
        ] + ['val_dataloader=None', 'val_cfg=None', 'val_evaluator=None']
        if config == ZEGFORMER_CFG:
            options.append(
                f'model.clip_classifier.pretrained={self.clip_weights}')
        self.run_tool(['tools/train.py', config, '--work-dir', work_dir,
                       '--resume', '--cfg-options'] + options, stage)
        checkpoint = last_checkpoint(work_dir)
        self.finish(stage, dict(checkpoint=checkpoint))
        return checkpoint

    def evaluate(self, name: str, config: str,
                 checkpoint: str) -> Dict[str, float]:
        """Test a checkpoint with ``tools/test.py``, return its metrics.

        The predicted label maps are kept in ``WORK_DIR/eval/NAME/pred``
        for the per-class table and the prediction images.
        """
        marker = self.done('eval_' + name)
        if marker:
            print(f'done already: {name} {marker}')
            return marker
        work_dir = osp.join(self.work_dir, 'eval', name)
        shutil.rmtree(work_dir, ignore_errors=True)
        options = self.data_options()
        if name in MODES:
            options.append(
                f'model.clip_classifier.pretrained={self.clip_weights}')
        options += [
            'train_dataloader=None', 'train_cfg=None', 'optim_wrapper=None',
            'param_scheduler=None'
        ]
        self.run_tool([
            'tools/test.py', config, checkpoint, '--work-dir', work_dir,
            '--out', self.pred_dir(name), '--cfg-options'
        ] + options, 'eval_' + name)
        metrics = read_test_metrics(work_dir)
        self.finish('eval_' + name, metrics)
        return metrics

    def pred_dir(self, name: str) -> str:
        """Folder of the predicted label maps of one table row."""
        return osp.join(self.work_dir, 'eval', name, 'pred')

    def chance(self) -> Dict[str, float]:
        """Metrics of a uniformly random per-pixel predictor."""
        marker = self.done('chance')
        if marker:
            return marker
        metrics = chance_metrics(self.data_root, self.seed)
        self.finish('chance', metrics)
        return metrics

    def evaluate_zegformer(self, checkpoint: str) -> Dict[str, Dict]:
        """Stage 5: the three fusion modes of one ZegFormer checkpoint,
        spread over the ``jobs`` slots."""
        groups = [MODES[slot::self.jobs] for slot in range(self.jobs)]
        done = self.side_by_side(*[
            lambda group=group: {
                mode: self.evaluate(mode, MODE_CFGS[mode], checkpoint)
                for mode in group
            } for group in groups if group
        ])
        metrics = {mode: m for group in done for mode, m in group.items()}
        return {mode: metrics[mode] for mode in MODES}

    def train_zegformer(self) -> str:
        """Stage 4: train ZegFormer, return its checkpoint."""
        return self.train('zegformer', ZEGFORMER_CFG)

    def baseline(self) -> Dict[str, float]:
        """Stage 6: train and evaluate the pixel-level baseline."""
        checkpoint = self.train('pixel_baseline', BASELINE_CFG)
        return self.evaluate('baseline', BASELINE_CFG, checkpoint)

    def report(self, results: Dict[str, Dict[str, float]]) -> List[str]:
        """Stage 7: tables (printed and written) and prediction images.

        Returns:
            list[str]: The prediction images.
        """
        results['chance'] = self.chance()
        per_class = {
            key: class_ious(self.data_root, self.pred_dir(key))
            for _, key in ROWS
        }
        tables = [format_table(results), format_class_table(per_class)]
        for text in tables:
            print(text + '\n')
        with open(osp.join(self.work_dir, 'results.json'), 'w') as f:
            json.dump(dict(seed=self.seed, metrics=results,
                           class_iou=per_class), f, indent=2)
        with open(osp.join(self.work_dir, 'results.md'), 'w') as f:
            f.write('\n\n'.join(tables) + '\n')
        return draw_predictions(self.data_root, self.pred_dir('fused'),
                                osp.join(self.work_dir, 'vis'),
                                NUM_IMAGES[self.size])

    def run(self) -> Dict[str, Dict[str, float]]:
        """Run every stage; return the metrics of every row."""
        self.timed('data', self.generate)
        self.side_by_side(lambda: self.timed('clip', self.pretrain_clip),
                          lambda: self.timed('backbone',
                                             self.pretrain_backbone))
        checkpoint, baseline = self.side_by_side(
            lambda: self.timed('zegformer', self.train_zegformer),
            lambda: self.timed('baseline', self.baseline))
        results = self.timed('evaluate',
                             lambda: self.evaluate_zegformer(checkpoint))
        results['baseline'] = baseline
        images = self.timed('results', lambda: self.report(results))
        print('Prediction images (ground truth | fused prediction):')
        for image in images:
            print(image)
        times = format_time_table(self.stage_seconds(), self.jobs > 1)
        print('\n' + times)
        with open(osp.join(self.work_dir, 'results.md'), 'a') as f:
            f.write('\n' + times + '\n')
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f'\nAll done in {(time.time() - self.start) / 60:.1f} min '
              f'(CPU time of the stages run now: '
              f'{(cpu.ru_utime + cpu.ru_stime) / 60:.1f} min); tables in '
              f'{osp.join(self.work_dir, "results.md")}')
        return results


def job_cores(slot: Optional[int], jobs: int) -> List[int]:
    """The CPU cores of one of ``jobs`` side-by-side slots.

    Pinning each job to its own cores keeps two trainings (and their data
    loader workers) from migrating across each other's cores, which costs
    a third of the throughput on 2 cores.

    Args:
        slot (int, optional): The slot, 0 to ``jobs - 1``; None outside
            side-by-side steps.
        jobs (int): Number of slots.

    Returns:
        list[int]: The slot's cores; empty (no pinning) outside a slot,
        with fewer cores than slots, or where the OS has no affinity call.
    """
    if slot is None or jobs < 2 or not hasattr(os, 'sched_getaffinity'):
        return []
    cores = sorted(os.sched_getaffinity(0))
    per_job = len(cores) // jobs
    return cores[slot * per_job:(slot + 1) * per_job]


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint named by mmengine's ``last_checkpoint`` file."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    if not osp.isabs(path):
        path = osp.join(work_dir, path)
    return path


def read_test_metrics(work_dir: str) -> Dict[str, float]:
    """Seen / unseen mIoU and hIoU from the json log of ``tools/test.py``.
    """
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise FileNotFoundError(f'no test metrics (json log) in {work_dir}')
    with open(logs[-1]) as f:
        metrics = json.load(f)
    return {key: float(metrics[key]) for key in METRIC_KEYS}


def chance_metrics(data_root: str, seed: int) -> Dict[str, float]:
    """HIoUMetric of a predictor drawing every pixel's class uniformly from
    the 16-class test vocabulary, on the validation labels.

    Args:
        data_root (str): The synthetic benchmark's folder.
        seed (int): Seed of the random predictions.

    Returns:
        dict[str, float]: ``mIoU_seen``, ``mIoU_unseen`` and ``hIoU``.
    """
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    from mmzs3.datasets.synthetic_shapes_dataset import (
        SYNTHETIC_CLASSES, SYNTHETIC_SEEN_CLASSES, SYNTHETIC_UNSEEN_CLASSES)
    from mmzs3.evaluation import HIoUMetric
    metric = HIoUMetric(ignore_index=255)
    metric.dataset_meta = dict(
        classes=SYNTHETIC_CLASSES,
        seen_classes=SYNTHETIC_SEEN_CLASSES,
        unseen_classes=SYNTHETIC_UNSEEN_CLASSES)
    gen = torch.Generator().manual_seed(seed)
    for path in sorted(glob.glob(osp.join(data_root, 'ann_dir/val/*.png'))):
        label = torch.from_numpy(read_label(path))
        pred = torch.randint(0, len(SYNTHETIC_CLASSES), label.shape,
                             generator=gen)
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        sample.pred_sem_seg = PixelData(data=pred[None])
        metric.process({}, [sample.to_dict()])
    scores = metric.compute_metrics(metric.results)
    return {key: float(scores[key]) for key in METRIC_KEYS}


def read_label(path: str) -> np.ndarray:
    """A uint8 label map as int64."""
    from PIL import Image
    return np.asarray(Image.open(path), dtype=np.int64)


def format_table(results: Dict[str, Dict[str, float]]) -> str:
    """The results as a Markdown table (percent)."""
    lines = [
        '| method | mIoU seen | mIoU unseen | hIoU |',
        '|---|---|---|---|',
    ]
    rows = list(ROWS) + [('Chance (uniform random pixels)', 'chance')]
    for title, key in rows:
        values = ' | '.join(f'{results[key][m]:.2f}' for m in METRIC_KEYS)
        lines.append(f'| {title} | {values} |')
    return '\n'.join(lines)


def class_ious(data_root: str, pred_dir: str) -> Dict[str, Optional[float]]:
    """Per-class IoU (percent) of saved predictions on the validation set.

    Args:
        data_root (str): The synthetic benchmark's folder.
        pred_dir (str): Predicted label maps, one PNG per validation image
            (``tools/test.py --out``).

    Returns:
        dict[str, float | None]: IoU of every class of the 16-class test
        vocabulary; None for a class absent from both labels and
        predictions.
    """
    from mmzs3.datasets.synthetic_shapes_dataset import SYNTHETIC_CLASSES
    from mmzs3.evaluation.metrics.hiou_metric import class_areas
    inter = union = 0
    for path in sorted(glob.glob(osp.join(data_root, 'ann_dir/val/*.png'))):
        label = torch.from_numpy(read_label(path))
        pred = torch.from_numpy(
            read_label(osp.join(pred_dir, osp.basename(path))))
        areas = class_areas(pred, label, len(SYNTHETIC_CLASSES), 255)
        inter, union = inter + areas[0], union + areas[1]
    return {
        name: (round(100 * float(i) / float(u), 2) if u else None)
        for name, i, u in zip(SYNTHETIC_CLASSES, inter, union)
    }


def format_class_table(per_class: Dict[str, Dict[str, Optional[float]]]
                       ) -> str:
    """Per-class IoU of every method as a Markdown table (percent)."""
    from mmzs3.datasets.synthetic_shapes_dataset import (
        SYNTHETIC_CLASSES, SYNTHETIC_UNSEEN_CLASSES)
    lines = [
        '| class | split | ' + ' | '.join(t for t, _ in ROWS) + ' |',
        '|---|---|' + '---|' * len(ROWS)
    ]
    for name in SYNTHETIC_CLASSES:
        split = 'unseen' if name in SYNTHETIC_UNSEEN_CLASSES else 'seen'
        cells = [per_class[key][name] for _, key in ROWS]
        values = ' | '.join('absent' if v is None else f'{v:.2f}'
                            for v in cells)
        lines.append(f'| {name} | {split} | {values} |')
    return '\n'.join(lines)


def format_time_table(seconds: Dict[str, float],
                      side_by_side: bool = False) -> str:
    """Wall time of each stage as a Markdown table (minutes).

    Args:
        seconds (dict[str, float]): Wall time of every finished stage.
        side_by_side (bool): Whether the pretrainings ran together, and
            ZegFormer's training beside the baseline's; the total then
            counts the longer stage of each pair, not the sum.
    """
    lines = ['| stage | wall time (min) |', '|---|---|']
    for stage, title in STAGES:
        if stage in seconds:
            lines.append(f'| {title} | {seconds[stage] / 60:.1f} |')
    total = sum(seconds.values())
    if side_by_side:
        for pair in (('clip', 'backbone'), ('zegformer', 'baseline')):
            total -= min(seconds.get(stage, 0.0) for stage in pair)
    lines.append(f'| total | {total / 60:.1f} |')
    if side_by_side:
        lines.append('\nSide-by-side stages are counted once in the total.')
    return '\n'.join(lines)


def draw_predictions(data_root: str, pred_dir: str, out_dir: str,
                     num: int) -> List[str]:
    """Draw ground truth | prediction of ``num`` validation scenes.

    Scenes are taken at even intervals and enlarged (nearest neighbour) to
    ``PANEL_SIZE`` pixels per panel before drawing, so that the legend's
    class names are legible next to the small scenes. The prediction is
    drawn on the labelled pixels only, the pixels the metrics score.

    Args:
        data_root (str): The synthetic benchmark's folder.
        pred_dir (str): Predicted label maps (``tools/test.py --out``).
        out_dir (str): Folder of the written images.
        num (int): Number of scenes.

    Returns:
        list[str]: The written image files.
    """
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    from PIL import Image

    from mmzs3.datasets.synthetic_shapes_dataset import SyntheticShapesDataset
    from mmzs3.visualization import OpenVocabSegVisualizer
    labels = sorted(glob.glob(osp.join(data_root, 'ann_dir/val/*.png')))
    chosen = labels[::max(1, len(labels) // num)][:num]
    visualizer = OpenVocabSegVisualizer(
        name=f'embedded_default_{time.time()}', font_size=18, alpha=0.6)
    visualizer.set_dataset_meta(**SyntheticShapesDataset.METAINFO)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for label_path in chosen:
        name = osp.basename(label_path)
        image = Image.open(
            osp.join(data_root, 'img_dir', 'val', name)).convert('RGB')
        size = (PANEL_SIZE, PANEL_SIZE)
        gt, pred = (np.asarray(Image.open(path).resize(size, Image.NEAREST),
                               np.int64)
                    for path in (label_path, osp.join(pred_dir, name)))
        # Only the scored (labelled) pixels of the prediction are drawn.
        pred = np.where(gt == 255, 255, pred)
        sample = SegDataSample(
            gt_sem_seg=PixelData(data=torch.from_numpy(gt)[None]),
            pred_sem_seg=PixelData(data=torch.from_numpy(pred)[None]))
        out_file = osp.join(out_dir, name)
        visualizer.add_datasample(
            name, np.asarray(image.resize(size, Image.NEAREST)), sample,
            out_file=out_file, with_labels=False)
        written.append(out_file)
    return written


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--work-dir',
        default='work_dirs/embedded_default',
        help='folder of every output (data, checkpoints, table, images)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny data and a few iterations (a smoke test, minutes)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=min(2, os.cpu_count() or 1),
        help='stages run side by side, each with its share of the CPU '
        'threads (default: 2 where there are 2 cores or more); 1 runs '
        'them one after the other with all threads')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    return Pipeline(args.work_dir, args.seed, args.quick, args.jobs).run()


if __name__ == '__main__':
    main()
