"""A character-level language model over first names, in the style of a well-known lecture series:
character embeddings, a tanh hidden layer, cross-entropy, hand-written SGD and sampling.

Written against PyTorch's API: only the import lines differ from a script for torch.
"""
import random
import sys
from pathlib import Path

import tinygrad_ed as torch
import tinygrad_ed.nn.functional as F

max_steps = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
words = (Path(__file__).parent / "names.txt").read_text().split()
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
itos = {i: s for s, i in stoi.items()}
vocab_size = len(itos)
block_size = 3  # characters of context used to predict the next one


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


random.seed(42)
random.shuffle(words)
n = int(0.9 * len(words))
Xtr, Ytr = build_dataset(words[:n])
Xdev, Ydev = build_dataset(words[n:])
print(Xtr.shape, Xtr.dtype, Ytr.shape, Ytr.dtype)

g = torch.Generator().manual_seed(2147483647)
n_embd, n_hidden = 10, 100
C = torch.randn((vocab_size, n_embd), generator=g)
W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / (n_embd * block_size) ** 0.5
b1 = torch.randn(n_hidden, generator=g) * 0.01
W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.01
b2 = torch.zeros(vocab_size)
parameters = [C, W1, b1, W2, b2]
print(sum(p.nelement() for p in parameters), "parameters")
for p in parameters:
    p.requires_grad = True

batch_size = 32
lossi = []
for i in range(max_steps):
    ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
    Xb, Yb = Xtr[ix], Ytr[ix]
    emb = C[Xb]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < max_steps * 3 // 4 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    if i % 1000 == 0:
        print(f"{i:6d}/{max_steps:6d}: {loss.item():.4f}")
    lossi.append(loss.log10().item())


@torch.no_grad()
def split_loss(X, Y):
    emb = C[X]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    return F.cross_entropy(h @ W2 + b2, Y).item()


print(f"train loss: {split_loss(Xtr, Ytr):.4f}")
print(f"dev loss: {split_loss(Xdev, Ydev):.4f}")

for _ in range(5):
    out, context = [], [0] * block_size
    while True:
        emb = C[torch.tensor([context])]
        h = torch.tanh(emb.view(1, -1) @ W1 + b1)
        probs = F.softmax(h @ W2 + b2, dim=1)
        ix = torch.multinomial(probs, num_samples=1, generator=g).item()
        context = context[1:] + [ix]
        if ix == 0:
            break
        out.append(itos[ix])
    print("".join(out))
