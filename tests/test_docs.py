"""Documentation tests.

* Every fenced ```python block in README.md and docs/**/*.md is executed.  The
  blocks of one markdown file run in order in one shared namespace (later
  blocks may use names defined by earlier ones), inside a temporary working
  directory so that files they write do not litter the repository.  Blocks
  whose info string is ``python no-run`` are skipped.
* The README's first ```bash block holds exactly the two documented commands
  (demo, tests), and ``.ci/run`` takes its test command from the README.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
DOCS_DIR = REPO_ROOT / "docs"
CI_RUN = REPO_ROOT / ".ci" / "run"

# Opening/closing code fence (CommonMark): up to 3 spaces of indentation, then
# at least three backticks or tildes, then the info string.
_FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class CodeBlock:
    path: Path
    lineno: int  # 1-based line number of the opening fence
    info: str  # info string, stripped (e.g. "python", "python no-run", "bash")
    code: str

    @property
    def language(self) -> str:
        words = self.info.split()
        return words[0].lower() if words else ""

    @property
    def runnable_python(self) -> bool:
        words = self.info.split()
        return self.language == "python" and "no-run" not in words[1:]


def extract_code_blocks(text: str, path: Path = Path("<string>")) -> list[CodeBlock]:
    """Return all fenced code blocks of a markdown text, in document order."""
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE_RE.match(lines[i])
        if m is None or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        fence, indent, start = m["fence"], len(m["indent"]), i
        body: list[str] = []
        i += 1
        while i < len(lines):
            line = lines[i]
            stripped = line.lstrip(" ")
            if (
                len(line) - len(stripped) <= 3
                and stripped.startswith(fence[0] * len(fence))
                and stripped.rstrip().strip(fence[0]) == ""
            ):
                break
            # Remove up to `indent` spaces of the fence's own indentation.
            n = min(indent, len(line) - len(line.lstrip(" ")))
            body.append(line[n:])
            i += 1
        blocks.append(CodeBlock(path, start + 1, m["info"].strip(), "\n".join(body) + "\n"))
        i += 1  # skip the closing fence (or run past the end if unclosed)
    return blocks


def _rel(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def markdown_files() -> list[Path]:
    files = [README] if README.is_file() else []
    if DOCS_DIR.is_dir():
        files += sorted(p for p in DOCS_DIR.rglob("*.md") if p.is_file())
    return files


def files_with_python_blocks() -> list[Path]:
    return [
        p
        for p in markdown_files()
        if any(b.runnable_python for b in extract_code_blocks(p.read_text(encoding="utf-8"), p))
    ]


def run_python_blocks(path: Path) -> int:
    """Run the runnable python blocks of one markdown file in one namespace.

    Returns the number of blocks run; fails the test with the file, the block's
    starting line and its code when a block raises.
    """
    blocks = [b for b in extract_code_blocks(path.read_text(encoding="utf-8"), path) if b.runnable_python]
    namespace: dict = {"__name__": "__main__"}
    for block in blocks:
        # Pad with newlines so line numbers in tracebacks match the markdown file.
        source = "\n" * block.lineno + block.code
        try:
            exec(compile(source, str(path), "exec"), namespace)
        except Exception as exc:
            # Drop this function's own frame from the traceback.
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
        else:
            continue
        numbered = "\n".join(
            f"{block.lineno + k:5d} | {line}" for k, line in enumerate(block.code.splitlines(), start=1)
        )
        pytest.fail(
            f"python block starting at {_rel(path)}:{block.lineno} failed\n"
            f"--- code ---\n{numbered}\n"
            f"--- traceback ---\n{tb}",
            pytrace=False,
        )
    return len(blocks)


@pytest.fixture
def docs_sandbox(tmp_path, monkeypatch):
    """Temporary cwd, importable repo, non-interactive matplotlib."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(REPO_ROOT))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


@pytest.mark.parametrize("md_file", files_with_python_blocks(), ids=_rel)
def test_markdown_python_blocks(md_file, docs_sandbox):
    assert run_python_blocks(md_file) > 0


# --- self-tests of the block extraction / runner ------------------------------

_SAMPLE = """\
# Title

```python
x = 1
```

text

```python no-run
raise RuntimeError("must not run")
```

~~~python
y = x + 1
~~~

````markdown
```python
nested = "not a block of its own"
```
````

```bash
echo hi
```

   ```python
   z = y * 10
   ```
"""


def test_extract_code_blocks():
    blocks = extract_code_blocks(_SAMPLE)
    assert [(b.lineno, b.info) for b in blocks] == [
        (3, "python"),
        (9, "python no-run"),
        (13, "python"),
        (17, "markdown"),
        (23, "bash"),
        (27, "python"),
    ]
    assert [b.runnable_python for b in blocks] == [True, False, True, False, False, True]
    assert blocks[0].code == "x = 1\n"
    assert blocks[5].code == "z = y * 10\n"


def test_run_python_blocks_shared_namespace(docs_sandbox):
    md = docs_sandbox / "sample.md"
    md.write_text(_SAMPLE + "\n```python\nassert z == 20\nopen('written.txt', 'w').close()\n```\n")
    assert run_python_blocks(md) == 4
    assert (docs_sandbox / "written.txt").exists()


def test_run_python_blocks_reports_location(docs_sandbox):
    md = docs_sandbox / "bad.md"
    md.write_text("intro\n\n```python\na = 1\n```\n\n```python\nb = a + undefined_name\n```\n")
    with pytest.raises(pytest.fail.Exception) as excinfo:
        run_python_blocks(md)
    msg = str(excinfo.value)
    assert f"{md}:7" in msg
    assert "b = a + undefined_name" in msg
    assert "NameError" in msg


# --- README commands and CI script --------------------------------------------


def _readme_bash_commands() -> list[str]:
    assert README.is_file(), "README.md is missing"
    bash_blocks = [b for b in extract_code_blocks(README.read_text(encoding="utf-8"), README) if b.language == "bash"]
    assert bash_blocks, "README.md has no ```bash block"
    return [line.strip() for line in bash_blocks[0].code.splitlines() if line.strip()]


def test_readme_commands():
    commands = _readme_bash_commands()
    assert len(commands) == 2, f"first ```bash block of README.md must have exactly 2 lines, got {commands}"
    demo, tests = commands
    assert "examples/demo.py" in demo
    assert "pytest" in tests


def test_ci_run_uses_readme_test_command():
    assert CI_RUN.is_file(), ".ci/run is missing"
    if os.name == "posix":
        assert os.access(CI_RUN, os.X_OK), ".ci/run is not executable"
    text = CI_RUN.read_text(encoding="utf-8")
    test_command = _readme_bash_commands()[1]
    assert "README.md" in text, ".ci/run must take its test command from README.md"
    for line in text.splitlines():
        code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        if "pytest" in code:
            assert test_command in code, f".ci/run hard-codes a different test command: {line.strip()!r}"
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not available")
    out = subprocess.run(
        [bash, str(CI_RUN), "--print-command"], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert out.stdout.strip() == test_command
