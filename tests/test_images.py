"""Every committed picture (docs/images/) is what docs/images/make_images.py makes from the code now.

Byte for byte when this machine has the Graphviz / matplotlib version that wrote the file; otherwise
the words drawn (node labels, legend, axis texts and numbers) must be the same."""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = ROOT / "docs" / "images"


def load_make_images():
    spec = importlib.util.spec_from_file_location("make_images", IMAGES_DIR / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_images = load_make_images()


def test_every_committed_picture_is_made_by_make_images():
    committed = {p.name for p in IMAGES_DIR.iterdir() if p.suffix in (".svg", ".png", ".jpg", ".gif")}
    assert committed == set(make_images.IMAGES)


def texts(svg: bytes) -> list[str]:
    return re.findall(r">([^<>]+)</text>", svg.decode())


def generator(svg: bytes) -> str:
    found = re.search(r"graphviz version [0-9.]+|Matplotlib v[0-9.]+", svg.decode())
    return found.group(0) if found else ""


@pytest.mark.parametrize("name", sorted(make_images.IMAGES))
def test_committed_picture_is_current(name):
    committed = (IMAGES_DIR / name).read_bytes()
    if generator(committed).startswith("graphviz"):
        pytest.importorskip("graphviz")
        if shutil.which("dot") is None:
            pytest.skip("Graphviz's dot is not installed")
    else:
        pytest.importorskip("matplotlib")
    made = make_images.IMAGES[name]()
    assert texts(made), "nothing drawn"
    assert texts(made) == texts(committed), f"docs/images/{name} is stale: run python docs/images/make_images.py"
    if generator(committed) == generator(made):  # the same Graphviz or matplotlib version: the same bytes
        assert made == committed, f"docs/images/{name} is stale: run python docs/images/make_images.py"


def test_the_readme_legend_words_are_the_pictures():
    pytest.importorskip("graphviz")
    source = make_images.model_graph().source
    readme = (ROOT / "README.md").read_text()
    for words in ("parameter (blue border)", "input / constant", "vanishing (1e-6 of the loss's scale)",
                  "|grad| > 1e3: exploding"):
        assert words in source
    for words in ("blue border", "vanishing", "1e-6 of the loss's scale", "|grad| > 1e3", "white"):
        assert words in readme
