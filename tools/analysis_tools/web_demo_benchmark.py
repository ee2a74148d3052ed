# Copyright (c) mmzs3 contributors. All rights reserved.
"""Time requests of the web demo (``tools/demo/web_demo.py``): its request
handling (decode, vocabulary, inference, overlay, table) without HTTP.

Examples::

    # the embedded default's tiny model (after `make demo`) on 2 threads
    python tools/analysis_tools/web_demo_benchmark.py --threads 2
    # the full-size model with random weights, a 640x480 image
    python tools/analysis_tools/web_demo_benchmark.py \\
        configs/zegformer/zegformer_r50_coco.py --shape 480 640 \\
        --speeds fast exact --repeat 1 --threads 2

The first request encodes the class names (text tower); the timed requests
after it reuse them, as the page does for a vocabulary it has seen. Without
a checkpoint a config runs with random weights, which takes as long as
trained weights for a fixed number of queries.
"""
import argparse
import importlib.util
import os.path as osp
import statistics
import tempfile
import time
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WEB_DEMO = osp.join(REPO_ROOT, 'tools', 'demo', 'web_demo.py')


def load_web_demo():
    """``tools/demo/web_demo.py`` as a module (tools are not a package)."""
    spec = importlib.util.spec_from_file_location('web_demo', WEB_DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time web-demo requests (no HTTP)')
    parser.add_argument(
        'config',
        nargs='?',
        help="config file or model-index name; default: the embedded "
        "default's model (after `make demo`)")
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint (none: random weights)')
    parser.add_argument('--embedded-work-dir',
                        default='work_dirs/embedded_default')
    parser.add_argument(
        '--image',
        help='image file; default: the first bundled example, or a '
        'random image of --shape')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='size of a random image')
    parser.add_argument(
        '--classes', help="class names; default: the example's")
    parser.add_argument('--mode', default='fused',
                        choices=['fused', 'seg', 'img'])
    parser.add_argument('--speeds', nargs='+', default=['exact', 'fast'],
                        choices=['exact', 'fast'])
    parser.add_argument('--repeat', type=int, default=3,
                        help='timed requests per speed after the first')
    parser.add_argument('--threads', type=int, default=None,
                        help="torch threads (default: torch's choice)")
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def request_image(args, example: str, folder: str) -> str:
    """The image file of the requests."""
    if args.image:
        return args.image
    if not args.shape:
        return example
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (*args.shape, 3), dtype=np.uint8)
    path = osp.join(folder, f'random_{args.shape[0]}x{args.shape[1]}.png')
    Image.fromarray(pixels).save(path)
    return path


def timed_request(session, image: str, classes: str, mode: str,
                  speed: str) -> Tuple[float, float]:
    """Wall-clock and CPU seconds (all threads) of one request; raises if
    the page would show an error. On a busy machine the wall time grows
    and the CPU time stays."""
    start, cpu = time.perf_counter(), time.process_time()
    result = session.segment(image, classes, mode, speed)
    seconds = time.perf_counter() - start, time.process_time() - cpu
    if result.overlay is None:
        raise RuntimeError(f'the request failed: {result.status}')
    return seconds


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    web_demo = load_web_demo()
    example, example_classes = web_demo.EXAMPLES[0]
    classes = args.classes or example_classes
    start = time.perf_counter()
    demo_args = web_demo.parse_args(
        [a for a in (args.config, args.checkpoint) if a] +
        ['--embedded-work-dir', args.embedded_work_dir, '--device',
         args.device])
    spec, session = web_demo.load_session(demo_args)
    startup = time.perf_counter() - start
    records = []
    with tempfile.TemporaryDirectory() as folder:
        image = request_image(
            args, osp.join(web_demo.EXAMPLES_DIR, example), folder)
        height, width = web_demo.read_image(image).shape[:2]
        print(f'model: {spec.config} with '
              f'{spec.checkpoint or "random weights"}; image {width}x'
              f'{height}; {len(web_demo.parse_class_text(classes))} '
              f'classes; {torch.get_num_threads()} threads; '
              f'{args.device}')
        print(f'start-up (build and load the model): {startup:.2f} s')
        speeds = [s for s in args.speeds if s in session.speeds]
        mode = args.mode if args.mode in session.modes else 'seg'
        wall, cpu = timed_request(session, image, classes, mode, speeds[0])
        print(f'first request ({mode}, {speeds[0]}; names encoded): '
              f'{wall:.2f} s wall, {cpu:.2f} s CPU')
        for speed in speeds:
            times = [
                timed_request(session, image, classes, mode, speed)
                for _ in range(args.repeat)
            ]
            record = dict(
                mode=mode, speed=speed, wall=[t[0] for t in times],
                cpu=[t[1] for t in times],
                median=statistics.median(t[0] for t in times))
            records.append(record)
            print(f'{mode}, {speed} (names cached): median '
                  f'{record["median"]:.2f} s wall over {len(times)} '
                  'requests; wall ' +
                  ', '.join(f'{t:.2f}' for t in record['wall']) +
                  '; CPU ' + ', '.join(f'{t:.2f}' for t in record['cpu']))
    return records


if __name__ == '__main__':
    main()
