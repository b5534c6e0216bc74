"""Character-level language models on first names: an embedding + MLP, then a GRU.

    python examples/char_model.py        # writes out/char_model.png

Each model learns p(next character | the characters so far) from the names in
examples/ported/names.txt ('.' marks the start and the end of a name).
The MLP sees a fixed window of the last 3 characters, each turned into a
learned vector by nn.Embedding; the GRU reads the whole prefix and carries a
hidden state. Both are scored by the validation loss (cross-entropy per
character, in nats) on names they never saw, and both write new names by
sampling one character at a time. With only ~700 names both models soon
memorise them (the validation loss then rises, and the GRU's samples become
training names), so the default step counts stop early.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure
import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.optim import SGD

NAMES = Path(__file__).resolve().parent / "ported" / "names.txt"
CONTEXT = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--mlp-steps", type=int, default=1000, help="minibatch steps for the MLP")
    parser.add_argument("--gru-steps", type=int, default=250, help="minibatch steps for the GRU")
    parser.add_argument("--batch-size", type=int, default=64, help="examples (MLP) or names (GRU) per step")
    parser.add_argument("--samples", type=int, default=8, help="names each model writes")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the weights and the sampling")
    add_out(parser, "char_model.png")
    return parser.parse_args(argv)


def load_names(seed: int) -> tuple[list[str], list[str], str]:
    """Names split 90/10 into training and validation, and the alphabet with '.' first."""
    names = [line.strip() for line in NAMES.read_text().splitlines() if line.strip()]
    order = np.random.default_rng(seed).permutation(len(names))
    names = [names[i] for i in order]
    cut = int(0.9 * len(names))
    return names[:cut], names[cut:], "." + "".join(sorted(set("".join(names))))


def windows(names: list[str], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(the previous CONTEXT characters, the next one) for every character of every name, end included."""
    contexts, targets = [], []
    for name in names:
        context = [0] * CONTEXT
        for ch in name + ".":
            contexts.append(context)
            targets.append(index[ch])
            context = context[1:] + [index[ch]]
    return np.array(contexts), np.array(targets)


def sequences(names: list[str], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Inputs '.name' and targets 'name.' padded to one length; padded targets are -100 (ignored)."""
    length = max(len(n) for n in names) + 1
    inputs = np.zeros((len(names), length), np.int64)
    targets = np.full((len(names), length), -100, np.int64)
    for row, name in enumerate(names):
        codes = [index[ch] for ch in name]
        inputs[row, 1:len(codes) + 1] = codes
        targets[row, :len(codes) + 1] = codes + [0]
    return inputs, targets


class MLPModel(nn.Module):
    def __init__(self, vocab: int, embed: int = 10, hidden: int = 128):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.hidden = nn.Linear(CONTEXT * embed, hidden)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, context: te.Tensor) -> te.Tensor:
        return self.out(self.hidden(self.embed(context).flatten(1)).tanh())


class GRUModel(nn.Module):
    def __init__(self, vocab: int, embed: int = 16, hidden: int = 64):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, codes: te.Tensor, state: te.Tensor | None = None) -> tuple[te.Tensor, te.Tensor]:
        outputs, state = self.gru(self.embed(codes), state)
        return self.out(outputs), state


def fit(model: nn.Module, batch_loss, steps: int, lr: float) -> list[float]:
    """SGD with momentum and a cosine learning-rate decay; the training loss of each step."""
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * step / steps))
        loss = batch_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def train_mlp(train: list[str], valid: list[str], index: dict[str, int], args: argparse.Namespace,
              rng: np.random.Generator) -> tuple[MLPModel, list[float], float]:
    x, y = windows(train, index)
    model = MLPModel(len(index))

    def batch_loss() -> te.Tensor:
        rows = rng.integers(0, len(x), args.batch_size)
        return F.cross_entropy(model(te.from_numpy(x[rows])), te.from_numpy(y[rows]))

    losses = fit(model, batch_loss, args.mlp_steps, lr=0.1)
    vx, vy = windows(valid, index)
    with te.no_grad():
        valid_loss = F.cross_entropy(model(te.from_numpy(vx)), te.from_numpy(vy)).item()
    return model, losses, valid_loss


def train_gru(train: list[str], valid: list[str], index: dict[str, int], args: argparse.Namespace,
              rng: np.random.Generator) -> tuple[GRUModel, list[float], float]:
    x, y = sequences(train, index)
    model = GRUModel(len(index))

    def loss_of(inputs: np.ndarray, targets: np.ndarray) -> te.Tensor:
        logits, _ = model(te.from_numpy(inputs))
        return F.cross_entropy(logits.reshape(-1, len(index)), te.from_numpy(targets.reshape(-1)))

    def batch_loss() -> te.Tensor:
        rows = rng.integers(0, len(x), args.batch_size)
        return loss_of(x[rows], y[rows])

    losses = fit(model, batch_loss, args.gru_steps, lr=0.5)
    with te.no_grad():
        valid_loss = loss_of(*sequences(valid, index)).item()
    return model, losses, valid_loss


def draw(probabilities: np.ndarray, rng: np.random.Generator) -> int:
    return int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))


@te.no_grad()
def sample_mlp(model: MLPModel, alphabet: str, rng: np.random.Generator, longest: int = 20) -> str:
    context, name = [0] * CONTEXT, ""
    while len(name) < longest:
        code = draw(model(te.tensor([context])).softmax(1).numpy()[0].astype(np.float64), rng)
        if code == 0:
            break
        name += alphabet[code]
        context = context[1:] + [code]
    return name


@te.no_grad()
def sample_gru(model: GRUModel, alphabet: str, rng: np.random.Generator, longest: int = 20) -> str:
    code, state, name = 0, None, ""
    while len(name) < longest:
        logits, state = model(te.tensor([[code]]), state)
        code = draw(logits.softmax(-1).numpy()[0, 0].astype(np.float64), rng)
        if code == 0:
            break
        name += alphabet[code]
    return name


def plot(curves: dict[str, list[float]], valid: dict[str, float], uniform: float, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colors = {"MLP (3 characters)": "tab:blue", "GRU (whole prefix)": "tab:orange"}
    for name, losses in curves.items():
        window = max(1, len(losses) // 50)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(len(smooth)) + window, smooth, color=colors[name], label=f"{name}, training")
        ax.axhline(valid[name], color=colors[name], ls="--", lw=1, label=f"{name}, validation {valid[name]:.3f}")
    ax.axhline(uniform, color="0.5", ls=":", label=f"uniform guess {uniform:.3f}")
    ax.set(xlabel="step", ylabel="cross-entropy per character (nats)", title="Character models on first names")
    ax.legend(fontsize=8, loc="center right")
    ax.grid(True, alpha=0.3)
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    train, valid, alphabet = load_names(args.seed)
    index = {ch: i for i, ch in enumerate(alphabet)}
    print(f"{len(train)} training and {len(valid)} validation names; {len(alphabet)} characters")
    te.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    mlp, mlp_losses, mlp_valid = train_mlp(train, valid, index, args, rng)
    gru, gru_losses, gru_valid = train_gru(train, valid, index, args, rng)
    uniform = float(np.log(len(alphabet)))
    results = {"MLP (3 characters)": (mlp_valid, [sample_mlp(mlp, alphabet, rng) for _ in range(args.samples)]),
               "GRU (whole prefix)": (gru_valid, [sample_gru(gru, alphabet, rng) for _ in range(args.samples)])}
    for name, (loss, samples) in results.items():
        print(f"{name}: validation loss {loss:.4f} nats/char (uniform {uniform:.4f}); samples: {', '.join(samples)}")
    path = out / "char_model.png"
    plot({"MLP (3 characters)": mlp_losses, "GRU (whole prefix)": gru_losses},
         {k: v[0] for k, v in results.items()}, uniform, path)
    print(f"wrote {path}")
    return {"valid": {k: v[0] for k, v in results.items()}, "samples": {k: v[1] for k, v in results.items()},
            "uniform": uniform, "losses": {"mlp": mlp_losses, "gru": gru_losses}, "plot": path}


if __name__ == "__main__":
    main()
