# Copyright (c) mmzs3 contributors. All rights reserved.
"""Run the embedded default end to end: ZegFormer in miniature on the CPU.

Stages (each writes a completion marker under ``WORK_DIR/.done``; a second
run skips the finished ones and resumes the others; the markers of the data
and CLIP stages hold their output paths, so several runs can share them):

1. generate the synthetic benchmark (its scenes and image-caption set);
2. pretrain the tiny CLIP on the image-caption set, export it as an
   open_clip checkpoint;
3. train ZegFormer on seen-class pixel labels;
4. evaluate seg-only, img-only and fused, then train and evaluate the
   pixel-level baseline;
5. print the table of seen mIoU, unseen mIoU and hIoU, with the chance
   level of a uniformly random per-pixel predictor;
6. write prediction images with class-name legends.

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
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ZEGFORMER_CFG = 'configs/zegformer/zegformer_tiny_synthetic.py'
BASELINE_CFG = 'configs/zegformer/pixel_baseline_tiny_synthetic.py'
CLIP_CFG = 'configs/clip_pretrain/tiny_clip_synthetic.py'
MODES = ('seg', 'img', 'fused')
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
    seg=['train_cfg.max_iters=3', 'train_cfg.val_interval=3',
         'train_dataloader.batch_size=2',
         'default_hooks.checkpoint.interval=3',
         'default_hooks.logger.interval=1', 'param_scheduler=[]'])
NUM_IMAGES = dict(full=4, quick=2)


class Pipeline:
    """The stages of the embedded default, sharing a work dir.

    Args:
        work_dir (str): Root of every output.
        seed (int): Seed of the data, the CLIP pretraining and both
            segmentation trainings.
        quick (bool): Tiny sizes for a fast smoke run.
    """

    def __init__(self, work_dir: str, seed: int, quick: bool) -> None:
        self.work_dir = osp.abspath(work_dir)
        self.seed = seed
        self.size = 'quick' if quick else 'full'
        self.start = time.time()
        self.data_root = osp.join(self.work_dir, 'data', 'synthetic_shapes')
        self.clip_dir = osp.join(self.work_dir, 'tiny_clip')
        self.clip_weights = osp.join(self.clip_dir, 'open_clip',
                                     'open_clip_pytorch_model.bin')

    # -- helpers ---------------------------------------------------------
    def header(self, title: str) -> None:
        """Print a stage header with the elapsed time."""
        elapsed = time.time() - self.start
        print(f'\n=== [{elapsed / 60:5.1f} min] {title} ===', flush=True)

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

    def run_tool(self, args: List[str]) -> None:
        """Run a script of this repository with this interpreter."""
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [REPO_ROOT] + [p for p in [env.get('PYTHONPATH')] if p])
        print('$ ' + ' '.join(args), flush=True)
        subprocess.run([sys.executable] + args, cwd=REPO_ROOT, env=env,
                       check=True)

    def data_options(self) -> List[str]:
        """Config overrides pointing a segmentation config to this run."""
        options = [
            f'{loader}.dataset.dataset.data_root={self.data_root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
        ]
        options += [
            f'model.text_encoder.pretrained={self.clip_weights}',
            f'randomness.seed={self.seed}'
        ]
        if self.size == 'quick':
            options += QUICK['seg']
        return options

    # -- stages ----------------------------------------------------------
    def generate(self) -> None:
        """Stage 1: the synthetic scenes and the image-caption set."""
        self.header('1/6 generate the synthetic benchmark')
        if self.restore('data', 'data_root', 'data_root'):
            return
        self.run_tool([
            'tools/dataset_converters/synthetic_shapes.py', '--out',
            self.data_root, '--seed',
            str(self.seed)
        ] + DATA_ARGS[self.size])
        self.finish('data', dict(data_root=self.data_root))

    def pretrain_clip(self) -> None:
        """Stage 2: contrastive pretraining of the tiny CLIP, then export."""
        self.header('2/6 pretrain the tiny CLIP (image-caption set)')
        if self.restore('clip', 'clip_weights', 'weights'):
            return
        captions = osp.join(self.data_root, 'captions')
        options = [
            f'train_dataloader.dataset.data_root={captions}',
            f'randomness.seed={self.seed}'
        ]
        if self.size == 'quick':
            options += QUICK['clip']
        train_dir = osp.join(self.clip_dir, 'train')
        self.run_tool(['tools/train.py', CLIP_CFG, '--work-dir', train_dir,
                       '--resume', '--cfg-options'] + options)
        self.run_tool([
            'tools/misc/export_open_clip.py',
            osp.join(train_dir, osp.basename(CLIP_CFG)),
            last_checkpoint(train_dir),
            osp.dirname(self.clip_weights)
        ])
        self.finish('clip', dict(weights=self.clip_weights))

    def train(self, stage: str, config: str) -> str:
        """Train a segmentor (resuming), return its checkpoint."""
        work_dir = osp.join(self.work_dir, stage)
        marker = self.done(stage)
        if marker:
            print('done already: ' + marker['checkpoint'])
            return marker['checkpoint']
        options = self.data_options()
        if config == ZEGFORMER_CFG:
            options.append(
                f'model.clip_classifier.pretrained={self.clip_weights}')
        # Validation happens in the evaluation stage, once per mode.
        options.append('train_cfg.val_interval=1000000')
        self.run_tool(['tools/train.py', config, '--work-dir', work_dir,
                       '--resume', '--cfg-options'] + options)
        checkpoint = last_checkpoint(work_dir)
        self.finish(stage, dict(checkpoint=checkpoint))
        return checkpoint

    def evaluate(self, name: str, config: str, checkpoint: str,
                 show_dir: Optional[str] = None) -> Dict[str, float]:
        """Test a checkpoint with ``tools/test.py``, return its metrics."""
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
        # Without a train loop: mmseg's SegVisualizationHook reads
        # ``runner.iter``, which would build the train loop and give the
        # visualizer the train (seen) class names instead of the test ones.
        options += [
            'train_dataloader=None', 'train_cfg=None', 'optim_wrapper=None',
            'param_scheduler=None'
        ]
        args = ['tools/test.py', config, checkpoint, '--work-dir', work_dir]
        if show_dir:
            args += ['--show-dir', show_dir]
            images = NUM_IMAGES[self.size]
            interval = max(1, self.num_val() // images)
            options.append(f'default_hooks.visualization.interval={interval}')
        self.run_tool(args + ['--cfg-options'] + options)
        metrics = read_test_metrics(work_dir)
        self.finish('eval_' + name, metrics)
        return metrics

    def num_val(self) -> int:
        """Number of validation scenes."""
        return len(glob.glob(osp.join(self.data_root, 'img_dir/val/*.png')))

    def chance(self) -> Dict[str, float]:
        """Stage 5: metrics of a uniformly random per-pixel predictor."""
        marker = self.done('chance')
        if marker:
            return marker
        metrics = chance_metrics(self.data_root, self.seed)
        self.finish('chance', metrics)
        return metrics

    def run(self) -> Dict[str, Dict[str, float]]:
        """Run every stage; return the metrics of every row."""
        self.generate()
        self.pretrain_clip()
        self.header('3/6 train ZegFormer (seen-class pixel labels)')
        checkpoint = self.train('zegformer', ZEGFORMER_CFG)
        results = {}
        vis_dir = osp.join(self.work_dir, 'vis')
        for mode in MODES:
            self.header(f'4/6 evaluate ZegFormer, {mode} mode')
            config = ZEGFORMER_CFG.replace('.py', f'_{mode}.py')
            results[mode] = self.evaluate(
                mode, config, checkpoint,
                vis_dir if mode == 'fused' else None)
        self.header('4/6 train the pixel-level baseline')
        baseline = self.train('pixel_baseline', BASELINE_CFG)
        self.header('4/6 evaluate the pixel-level baseline')
        results['baseline'] = self.evaluate('baseline', BASELINE_CFG,
                                            baseline)
        self.header('5/6 results')
        results['chance'] = self.chance()
        table = format_table(results)
        print(table)
        with open(osp.join(self.work_dir, 'results.json'), 'w') as f:
            json.dump(dict(seed=self.seed, metrics=results), f, indent=2)
        with open(osp.join(self.work_dir, 'results.md'), 'w') as f:
            f.write(table + '\n')
        self.header('6/6 prediction images (ground truth | fused prediction)')
        images = sorted(glob.glob(
            osp.join(vis_dir, '**', '*.png'), recursive=True))
        for image in images:
            print(image)
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f'\nAll done in {(time.time() - self.start) / 60:.1f} min '
              f'(CPU time of the stages run now: '
              f'{(cpu.ru_utime + cpu.ru_stime) / 60:.1f} min); table in '
              f'{osp.join(self.work_dir, "results.md")}')
        return results


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


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Run the embedded default end to end (resumable)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/embedded_default',
        help='folder of every output (data, checkpoints, table, images)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='tiny data and a few iterations (a smoke test, minutes)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    return Pipeline(args.work_dir, args.seed, args.quick).run()


if __name__ == '__main__':
    main()
