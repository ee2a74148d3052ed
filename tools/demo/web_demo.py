# Copyright (c) mmzs3 contributors. All rights reserved.
"""Segment images with any class names in the browser (a Gradio app).

Examples::

    # the embedded default's tiny model (after `make demo`)
    python tools/demo/web_demo.py
    # a config and checkpoint, or a model-index name
    python tools/demo/web_demo.py configs/zegformer/zegformer_r50_coco.py \\
        checkpoints/zegformer_r50_coco.pth --device cuda:0
    python tools/demo/web_demo.py zegformer_r50_coco --port 7861

One inferencer serves every request: a new vocabulary encodes only the names
it has not seen before (the text encoder memoises embeddings per name). The
request handling (:class:`DemoSession`) is plain Python; only
:func:`build_interface` knows Gradio. ``docs/demo.md`` describes the page.
"""
import argparse
import html
import json
import math
import os
import os.path as osp
import sys
import time
import traceback
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import nn

from mmzs3.apis import ZegFormerInferencer
from mmzs3.visualization import legend_rows

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EXAMPLES_DIR = osp.join(REPO_ROOT, 'tools', 'demo', 'examples')
#: The embedded default (``tools/run_embedded_default.py``): its config,
#: and the completion markers holding its checkpoint and CLIP weights.
EMBEDDED_CONFIG = osp.join(REPO_ROOT, 'configs', 'zegformer',
                           'zegformer_tiny_synthetic.py')
EMBEDDED_WORK_DIR = 'work_dirs/embedded_default'
MODES = ('fused', 'seg', 'img')
SPEEDS = ('exact', 'fast')
#: Fast mode sends one query in eight through CLIP, as the fast configs
#: (``zegformer_r50_coco_fast.py``: 13 of 100).
FAST_QUERY_FRACTION = 1 / 8
#: Bundled examples: (file in ``EXAMPLES_DIR``, class names).
EXAMPLES = (
    ('shapes_0.jpg', 'red circle, blue square, green triangle, yellow star'),
    ('shapes_1.jpg', 'green circle, yellow square, red star, blue triangle'),
    ('shapes_2.jpg', 'blue circle, red square, yellow triangle, green star'),
)


class DemoInputError(ValueError):
    """Bad input of a request; its message is shown in the page."""


class DemoSetupError(RuntimeError):
    """The app cannot start; the message names the file at fault."""


@dataclass
class ModelSpec:
    """What to load.

    Args:
        config (str): A config file or a model-index name.
        checkpoint (str, optional): Checkpoint file; None for a model name
            (its local file) or random weights.
        clip_weights (str, optional): open_clip weights file for both CLIP
            towers (the embedded default's tiny CLIP). Defaults to None.
    """
    config: str
    checkpoint: Optional[str]
    clip_weights: Optional[str] = None


@dataclass
class DemoResult:
    """What a request shows: the overlay (RGB, with the legend panel) or
    None, the class table (HTML) and the status line (HTML)."""
    overlay: Optional[np.ndarray]
    table: str
    status: str


def embedded_default_spec(work_dir: str = EMBEDDED_WORK_DIR) -> ModelSpec:
    """The embedded default's model, if ``make demo`` has trained it.

    Args:
        work_dir (str): The embedded default's work dir. Defaults to
            ``work_dirs/embedded_default``.

    Returns:
        ModelSpec: ``configs/zegformer/zegformer_tiny_synthetic.py``, the
        trained checkpoint and the tiny CLIP's weights.

    Raises:
        DemoSetupError: If a marker or the file it names is missing; the
            message says to run ``make demo`` first.
    """
    markers = [
        osp.join(work_dir, '.done', name)
        for name in ('zegformer.json', 'clip.json')
    ]
    for marker in markers:
        if not osp.isfile(marker):
            raise DemoSetupError(
                f'no model given and no trained embedded default: {marker} '
                'does not exist. Run `make demo` first (it trains the '
                'embedded default, about 10 minutes on 2 CPU cores), or '
                'pass a config and checkpoint or a model-index name '
                '(--help)')
    with open(markers[0]) as f:
        checkpoint = json.load(f)['checkpoint']
    with open(markers[1]) as f:
        clip_weights = json.load(f)['weights']
    for path in (checkpoint, clip_weights):
        if not osp.isfile(path):
            raise DemoSetupError(
                f'{path} (named by {work_dir}/.done) does not exist; run '
                '`make demo` again to recreate it')
    return ModelSpec(EMBEDDED_CONFIG, checkpoint, clip_weights)


def build_inferencer(spec: ModelSpec,
                     device: str = 'cpu',
                     checkpoint_dir: Optional[str] = None
                     ) -> ZegFormerInferencer:
    """Build the one inferencer of the app.

    Raises:
        DemoSetupError: If the config, the model name or the checkpoint
            cannot be loaded, or the checkpoint does not fit the config;
            the message names the files.
    """
    model = spec.config
    if spec.clip_weights:
        model = Config.fromfile(spec.config)
        model.model.text_encoder.pretrained = spec.clip_weights
        model.model.clip_classifier.pretrained = spec.clip_weights
    try:
        return ZegFormerInferencer(model, spec.checkpoint, device=device,
                                   checkpoint_dir=checkpoint_dir)
    except (FileNotFoundError, KeyError) as error:
        if spec.checkpoint is None:
            raise DemoSetupError(error.args[0] if error.args else
                                 str(error)) from error
        raise _load_error(spec, error) from error
    except (ValueError, RuntimeError, OSError) as error:
        raise _load_error(spec, error) from error


def _load_error(spec: ModelSpec, error: Exception) -> DemoSetupError:
    message = error.args[0] if error.args else type(error).__name__
    return DemoSetupError(
        f'cannot load the checkpoint {spec.checkpoint} into the model of '
        f'{spec.config}: {message}')


def parse_class_text(text: Optional[str],
                     max_classes: int = 500) -> List[str]:
    """The class names typed in the page.

    One line is split at commas (``cat, dog, grass``); several lines give
    one class each, whose commas separate synonyms (``person, people``),
    as the CLI's ``--classes`` with one argument or several.

    Args:
        text (str, optional): The text box.
        max_classes (int): The most names accepted. Defaults to 500.

    Returns:
        list[str]: The names (synonyms joined with ``', '``).

    Raises:
        DemoInputError: If there is no name, a name is listed twice, or
            there are more than ``max_classes``.
    """
    lines = [line.strip() for line in (text or '').splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1:
        names = [part.strip() for part in lines[0].split(',')]
    else:
        names = [
            ', '.join(p.strip() for p in line.split(',') if p.strip())
            for line in lines
        ]
    names = [name for name in names if name]
    if not names:
        raise DemoInputError(
            'Type at least one class name, e.g. "cat, dog, grass".')
    repeated = [n for i, n in enumerate(names) if n in names[:i]]
    if repeated:
        raise DemoInputError(
            f'"{repeated[0]}" is listed twice; give each class once '
            '(synonyms of one class go on one line: "person, people").')
    if len(names) > max_classes:
        raise DemoInputError(f'{len(names)} class names; this demo takes at '
                             f'most {max_classes}.')
    return names


def read_image(path: Optional[str], min_side: int = 16,
               max_side: int = 4096) -> np.ndarray:
    """Decode an uploaded image, checking its size before decoding it.

    Args:
        path (str, optional): The uploaded file.
        min_side (int): Smallest width or height accepted. Defaults to 16.
        max_side (int): Largest width or height accepted. Defaults to 4096.

    Returns:
        np.ndarray: RGB uint8 image, EXIF orientation applied, (H, W, 3).

    Raises:
        DemoInputError: If there is no file, it is not an image, or its
            size is out of range.
    """
    if not path:
        raise DemoInputError('Upload an image or pick an example.')
    name = osp.basename(path)
    try:
        with Image.open(path) as image:
            width, height = image.size
            if min(width, height) < min_side or max(width, height) > max_side:
                raise DemoInputError(
                    f'{name} is {width}×{height} pixels; this demo takes '
                    f'images of {min_side} to {max_side} pixels a side.')
            return np.asarray(ImageOps.exif_transpose(image).convert('RGB'))
    except (UnidentifiedImageError, Image.DecompressionBombError,
            OSError, SyntaxError) as error:
        raise DemoInputError(
            f'{name} is not an image file that can be read '
            f'(PNG, JPEG, WebP, BMP, ...): {error}') from error


def fast_topk(model: nn.Module) -> Optional[int]:
    """Queries fast mode sends through CLIP: the config's ``clip_topk``,
    else one in eight of the head's queries; None without a CLIP branch."""
    if model.clip_classifier is None:
        return None
    if model.clip_topk is not None:
        return model.clip_topk
    queries = getattr(model.decode_head, 'num_queries', None)
    return math.ceil(queries * FAST_QUERY_FRACTION) if queries else None


class TextTowerCounter:
    """Counts the sentences the text tower encodes, through a forward hook
    on its token embedding (the tower's first layer), so that the page can
    show that a new vocabulary encodes only its new names.

    Args:
        text_encoder (nn.Module): An ``OpenCLIPTextEncoder``.
    """

    def __init__(self, text_encoder: nn.Module) -> None:
        tower = text_encoder.model
        first = getattr(tower, 'token_embedding', None)
        if first is None:  # open_clip's CustomTextCLIP
            first = tower.text
        self.sentences = 0
        first.register_forward_hook(self._count)

    def _count(self, module: nn.Module, args: tuple, output) -> None:
        self.sentences += int(args[0].shape[0])


class DemoSession:
    """The app's state and request handling: one inferencer, reused.

    Args:
        inferencer (ZegFormerInferencer): The model.
        min_side (int): Smallest image side accepted. Defaults to 16.
        max_side (int): Largest image side accepted. Defaults to 4096.
        max_classes (int): Most class names accepted. Defaults to 500.
        opacity (float): Overlay opacity. Defaults to 0.6.
    """

    def __init__(self,
                 inferencer: ZegFormerInferencer,
                 min_side: int = 16,
                 max_side: int = 4096,
                 max_classes: int = 500,
                 opacity: float = 0.6) -> None:
        self.inferencer = inferencer
        self.model = inferencer.model
        self.min_side, self.max_side = min_side, max_side
        self.max_classes = max_classes
        self.opacity = opacity
        self.fast_topk = fast_topk(self.model)
        self.counter = TextTowerCounter(self.model.text_encoder)
        self.requests = 0
        #: Names embedded so far with the segment classifier's templates
        #: (every mode) and the CLIP branch's (``fused``, ``img``).
        self.embedded = dict(head=set(), clip=set())

    @property
    def modes(self) -> Tuple[str, ...]:
        """Fusion modes the model can run (``seg`` only without CLIP)."""
        return MODES if self.model.clip_classifier is not None else ('seg', )

    @property
    def speeds(self) -> Tuple[str, ...]:
        """``exact``, and ``fast`` where the model has a CLIP branch."""
        return SPEEDS if self.fast_topk else SPEEDS[:1]

    @property
    def default_mode(self) -> str:
        """The config's fusion mode."""
        mode = self.model.fusion_mode
        return mode if mode in self.modes else self.modes[0]

    @property
    def default_speed(self) -> str:
        """``fast`` for a fast config, else ``exact``."""
        return 'fast' if self.model.clip_topk is not None else 'exact'

    def preview(self, path: Optional[str]) -> DemoResult:
        """Show an uploaded image, or why it cannot be used."""
        if not path:
            return DemoResult(None, '', '')
        try:
            image = read_image(path, self.min_side, self.max_side)
        except DemoInputError as error:
            return error_result(str(error))
        height, width = image.shape[:2]
        return DemoResult(
            image, '',
            status_html(f'{osp.basename(path)}: {width}×{height} pixels. '
                        'Type class names and press Segment.'))

    def segment(self, path: Optional[str], class_text: Optional[str],
                mode: str, speed: str) -> DemoResult:
        """Handle one request; bad input gives a message, never a raise.

        Args:
            path (str, optional): The uploaded image file.
            class_text (str, optional): The class names typed.
            mode (str): ``'fused'``, ``'seg'`` or ``'img'``.
            speed (str): ``'exact'`` or ``'fast'``.

        Returns:
            DemoResult: The overlay, table and status of the request.
        """
        start = time.perf_counter()
        try:
            image = read_image(path, self.min_side, self.max_side)
            names = parse_class_text(class_text, self.max_classes)
            self._set_mode(mode, speed)
        except DemoInputError as error:
            return error_result(str(error))
        parts = ('head', ) if mode == 'seg' else ('head', 'clip')
        new = [
            n for n in names if any(n not in self.embedded[p] for p in parts)
        ]
        sentences = self.counter.sentences
        try:
            result = self.inferencer(
                np.ascontiguousarray(image[:, :, ::-1]), classes=names,
                return_vis=True, opacity=self.opacity)
        except Exception as error:  # noqa: BLE001 (the page shows no trace)
            # e.g. a control character in a class name (ValueError)
            traceback.print_exc()
            return error_result(f'Segmentation failed: {error}')
        self.requests += 1
        for part in parts:
            self.embedded[part].update(names)
        seconds = time.perf_counter() - start
        palette = self.model.dataset_meta['palette']
        table = table_html(result['predictions'], result['classes'],
                           palette, result['scores'])
        status = status_html(
            f'Request {self.requests}: {seconds:.2f} s. '
            f'{len(names)} classes, {len(new)} new '
            f'({", ".join(new) if new else "none"}); the text tower encoded '
            f'{self.counter.sentences - sentences} sentences. Mode {mode}'
            + (f', {speed}' if mode != 'seg' else '') + '.')
        return DemoResult(result['visualization'], table, status)

    def _set_mode(self, mode: str, speed: str) -> None:
        """Set the model's fusion mode and CLIP query count (no rebuild)."""
        if mode not in self.modes:
            raise DemoInputError(f'Mode {mode!r} is not available; this '
                                 f'model offers {", ".join(self.modes)}.')
        if speed not in self.speeds:
            raise DemoInputError(f'Speed {speed!r} is not available; this '
                                 f'model offers {", ".join(self.speeds)}.')
        self.model.fusion_mode = mode
        self.model.clip_topk = self.fast_topk if speed == 'fast' else None


def error_result(message: str) -> DemoResult:
    """A result that shows only a message."""
    return DemoResult(None, '', status_html(message, error=True))


def status_html(message: str, error: bool = False) -> str:
    """The status line."""
    kind = 'error' if error else 'ok'
    return (f'<p class="mmzs3-{kind}" data-kind="{kind}">'
            f'{"⚠ " if error else ""}{html.escape(message)}</p>')


def table_html(labels: np.ndarray, classes: Sequence[str],
               palette: Sequence[Sequence[int]], scores: np.ndarray) -> str:
    """The classes present, by pixel share, with colour and mean score (the
    CLI's table; the score is a class-map value, not a probability).

    Args:
        labels (np.ndarray): Predicted label map, shape (H, W).
        classes (Sequence[str]): Class names, K.
        palette (Sequence[Sequence[int]]): RGB colour of each class, K.
        scores (np.ndarray): Mean score of each class, shape (K,).

    Returns:
        str: An HTML table.
    """
    rows = legend_rows(labels, classes, palette)
    body = ''.join(
        '<tr><td><span class="mmzs3-swatch" style="display:inline-block;'
        f'width:1em;height:1em;background-color:rgb{tuple(colour)}">'
        f'</span></td><td>{html.escape(name)}</td><td>{share:.1%}</td>'
        f'<td>{scores[list(classes).index(name)]:.3f}</td></tr>'
        for name, colour, share in rows)
    absent = len(classes) - len(rows)
    note = (f'<p>({absent} of {len(classes)} classes not present)</p>'
            if absent else '')
    return ('<table class="mmzs3-classes"><thead><tr><th></th><th>class</th>'
            '<th>pixels</th><th>score</th></tr></thead>'
            f'<tbody>{body}</tbody></table>{note}')


def build_interface(session: DemoSession, title: str):
    """The Gradio page around ``session`` (layout only).

    Args:
        session (DemoSession): Handles the requests.
        title (str): What the page says it runs.

    Returns:
        gradio.Blocks: The app, not launched.
    """
    import gradio as gr

    def show(result: DemoResult):
        return result.overlay, result.table, result.status

    examples = [[osp.join(EXAMPLES_DIR, name), text]
                for name, text in EXAMPLES]
    with gr.Blocks(title='mmzs3: ZegFormer demo',
                   analytics_enabled=False) as demo:
        gr.Markdown(f'## Segment an image with any class names\n{title}')
        with gr.Row():
            with gr.Column():
                image = gr.File(label='Image', type='filepath',
                                elem_id='image')
                classes = gr.Textbox(
                    label='Class names', lines=2, elem_id='classes',
                    placeholder='cat, dog, grass   (or one class per line, '
                    'with synonyms: person, people)')
                mode = gr.Radio(list(session.modes),
                                value=session.default_mode, label='Mode',
                                elem_id='mode')
                speed = gr.Radio(
                    list(session.speeds), value=session.default_speed,
                    label=f'CLIP branch: every query (exact) or '
                    f'{session.fast_topk} of them (fast)',
                    visible=len(session.speeds) > 1, elem_id='speed')
                run = gr.Button('Segment', variant='primary', elem_id='run')
                gr.Examples(examples, [image, classes])
            with gr.Column():
                overlay = gr.Image(label='Overlay', format='png',
                                   interactive=False, elem_id='overlay')
                status = gr.HTML(elem_id='status')
                table = gr.HTML(elem_id='table')
        outputs = [overlay, table, status]
        image.change(lambda path: show(session.preview(path)), image,
                     outputs)
        # One event for both triggers: requests run one at a time.
        gr.on([run.click, classes.submit],
              lambda *args: show(session.segment(*args)),
              [image, classes, mode, speed], outputs,
              concurrency_limit=1)
    return demo


def describe(spec: ModelSpec, session: DemoSession) -> str:
    """A line saying which model the page runs."""
    weights = spec.checkpoint or 'random weights'
    return (f'Model: `{osp.basename(spec.config)}` with `{weights}`; '
            f'modes: {", ".join(session.modes)}.')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Open-vocabulary segmentation in the browser '
        '(ZegFormer, Gradio)')
    parser.add_argument(
        'config',
        nargs='?',
        help='config file or model-index name; default: the embedded '
        "default's model (after `make demo`)")
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (optional with a model name; without one a '
        'config runs with random weights)')
    parser.add_argument(
        '--embedded-work-dir',
        default=EMBEDDED_WORK_DIR,
        help="the embedded default's work dir (used without a config)")
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0')
    parser.add_argument(
        '--checkpoint-dir',
        help='folder of model-index checkpoints '
        '(default: $MMZS3_CHECKPOINT_DIR or ./checkpoints)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to serve on (0.0.0.0: every one)')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--max-side', type=int, default=4096,
                        help='largest image width or height accepted')
    parser.add_argument('--max-classes', type=int, default=500,
                        help='most class names accepted per request')
    return parser.parse_args(argv)


def load_session(args: argparse.Namespace) -> Tuple[ModelSpec, DemoSession]:
    """The model of the arguments, in a session.

    Raises:
        DemoSetupError: If it cannot be loaded.
    """
    if args.config is None:
        spec = embedded_default_spec(args.embedded_work_dir)
    else:
        spec = ModelSpec(args.config, args.checkpoint)
    inferencer = build_inferencer(spec, args.device, args.checkpoint_dir)
    session = DemoSession(inferencer, max_side=args.max_side,
                          max_classes=args.max_classes)
    return spec, session


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Start the app; returns 2 with a message if it cannot start."""
    args = parse_args(argv)
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    try:
        spec, session = load_session(args)
    except DemoSetupError as error:
        print(f'web_demo: error: {error}', file=sys.stderr)
        return 2
    demo = build_interface(session, describe(spec, session))
    demo.launch(server_name=args.host, server_port=args.port,
                allowed_paths=[EXAMPLES_DIR], show_error=False,
                max_file_size='64mb')
    return 0


if __name__ == '__main__':
    sys.exit(main())
