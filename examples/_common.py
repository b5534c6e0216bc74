"""Plumbing shared by the scripts in examples/, so that each of them shows only what it teaches.

Every example starts with `import _common` (which works because Python puts a script's own
folder on sys.path) before `import tinygrad_ed`:

* importing this module makes `tinygrad_ed` importable from a source checkout that was not
  `pip install`ed, by putting the repository root (the folder above examples/) on sys.path;
* `make_parser(__doc__)` starts the script's command line, `add_out(parser, what)` ends it with
  --out, and `output_dir(args.out)` creates that folder;
* `pyplot()` and `save_figure(fig, path)` open and close a matplotlib figure that is written to a
  file (the Agg backend: no window, works without a display);
* `write_graph(dot, path)` writes a graphviz drawing as SVG, or its source where `dot` is missing.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

try:
    import tinygrad_ed  # noqa: F401  (installed, or already on the path)
except ImportError:  # a source checkout that was not `pip install`ed: use the package beside examples/
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser described by the first paragraph of the script's docstring, showing defaults."""
    return argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def add_out(parser: argparse.ArgumentParser, what: str) -> None:
    """The --out option every example has: the folder its files (`what`) are written to."""
    parser.add_argument("--out", default="out", help=f"folder for {what}")


def output_dir(out: str) -> Path:
    """The folder given by --out, created (with its parents) if needed."""
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend; imported on first use, so --help needs no matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Lay the figure out, write it to `path` at 120 dpi and free it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_graph(dot: Any, path: Path) -> Path:
    """Render a graphviz.Digraph (from tinygrad_ed.viz.draw_graph) to `path` as SVG and return the path written.

    Rendering needs Graphviz's `dot` program; without it the graph's source goes to `path` with a .gv
    suffix instead (paste it into any Graphviz viewer).
    """
    if shutil.which("dot") is None:
        path = path.with_suffix(".gv")
        path.write_text(dot.source)
        print(f"Graphviz's `dot` was not found: wrote the graph's source to {path} instead of an SVG")
        return path
    path.write_bytes(dot.pipe(format="svg"))
    return path
