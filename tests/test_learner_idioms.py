"""Idioms from the PyTorch tutorials (tensors, autograd, "Learning PyTorch with examples", the quickstart,
"What is torch.nn really?", datasets and transforms) and from a well-known lecture series on language
models (bigram counts, an MLP over character embeddings, batch norm and backprop by hand, a WaveNet-style
model, self-attention), written here in their style. Each runs once with `torch` bound to torch and once
to tinygrad_ed; the results must agree (values, shapes, dtypes, Python types). Where an idiom draws random
numbers only the shape and dtype are compared: the random streams differ by design."""
from __future__ import annotations

import math
import os
import tempfile

import numpy as np
import pytest

import tinygrad_ed
import tinygrad_ed.nn
import tinygrad_ed.nn.functional

torch_module = pytest.importorskip("torch")
import torch.nn.functional  # noqa: E402, F401  (makes torch.nn.functional an attribute)

IDIOMS = {}


def idiom(fn):
    IDIOMS[fn.__name__] = fn
    return fn


class Shape:
    """A random result: only its shape and dtype are compared."""

    def __init__(self, tensor):
        self.tensor = tensor


def _dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def differences(expected, got, path="result"):
    """Where `got` (tinygrad_ed's) differs from `expected` (torch's), as readable lines."""
    if isinstance(expected, Shape):
        shapes = (tuple(expected.tensor.shape), tuple(got.tensor.shape))
        dtypes = (_dtype_name(expected.tensor.dtype), _dtype_name(got.tensor.dtype))
        return [f"{path}: {shapes[0]} {dtypes[0]} vs {shapes[1]} {dtypes[1]}"] if shapes[0] != shapes[1] or \
            dtypes[0] != dtypes[1] else []
    if isinstance(expected, torch_module.Tensor):
        if not isinstance(got, tinygrad_ed.Tensor):
            return [f"{path}: a Tensor vs {type(got).__name__}"]
        if tuple(expected.shape) != got.shape or _dtype_name(expected.dtype) != _dtype_name(got.dtype):
            return [f"{path}: {tuple(expected.shape)} {expected.dtype} vs {got.shape} {got.dtype}"]
        if expected.requires_grad != got.requires_grad:
            return [f"{path}: requires_grad {expected.requires_grad} vs {got.requires_grad}"]
        close = np.allclose(expected.detach().numpy().astype(np.float64), got.detach().numpy().astype(np.float64),
                            rtol=1e-4, atol=1e-5, equal_nan=True)
        return [] if close else [f"{path}: values differ"]
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(expected) != len(got):
            return [f"{path}: {type(expected).__name__} of {len(expected)} vs {got!r}"]
        return [line for i, (e, g) in enumerate(zip(expected, got)) for line in differences(e, g, f"{path}[{i}]")]
    if isinstance(expected, np.ndarray):
        same = isinstance(got, np.ndarray) and expected.shape == got.shape and np.allclose(expected, got)
        return [] if same else [f"{path}: arrays differ"]
    if isinstance(expected, float) and isinstance(got, float):
        return [] if math.isclose(expected, got, rel_tol=1e-4, abs_tol=1e-5) else [f"{path}: {expected} vs {got}"]
    if type(expected) is not type(got) or expected != got:
        return [f"{path}: {expected!r} vs {got!r}"]
    return []


WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia"]
CHARS = sorted(set("".join(WORDS)))
STOI = {s: i + 1 for i, s in enumerate(CHARS)}
STOI["."] = 0
RNG = np.random.default_rng(0)
W27 = RNG.standard_normal((27, 27)).astype(np.float32)

def bigrams():
    for w in WORDS:
        chs = ["."] + list(w) + ["."]
        for a, b in zip(chs, chs[1:]):
            yield STOI[a], STOI[b]

@idiom
def bigram_counts(torch, nn, F):
    N = torch.zeros((27, 27), dtype=torch.int32)
    for ix1, ix2 in bigrams():
        N[ix1, ix2] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdim=True)
    p = N[0].float()
    p = p / p.sum()
    return N, P, P[0].sum(), p, N[0, :], N.sum().item(), N[3, 5].item()

@idiom
def bigram_nll(torch, nn, F):
    N = torch.zeros((27, 27), dtype=torch.int32)
    for ix1, ix2 in bigrams():
        N[ix1, ix2] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    log_likelihood = 0.0
    n = 0
    for ix1, ix2 in bigrams():
        prob = P[ix1, ix2]
        logprob = torch.log(prob)
        log_likelihood += logprob
        n += 1
    nll = -log_likelihood
    return nll, nll / n, f"{nll.item():.4f}", f"{(nll/n):.4f}"

@idiom
def sampling_shapes(torch, nn, F):
    g = torch.Generator().manual_seed(2147483647)
    p = torch.rand(3, generator=g)
    p = p / p.sum()
    ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
    s = torch.multinomial(p, num_samples=100, replacement=True, generator=g)
    r = torch.randn((27, 27), generator=g, requires_grad=True)
    ri = torch.randint(0, 10, (32,), generator=g)
    return type(ix).__name__, Shape(s), Shape(r), r.requires_grad, Shape(ri), ri.dtype == torch.int64

@idiom
def one_hot_nn(torch, nn, F):
    xs, ys = zip(*bigrams())
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()
    W = torch.tensor(W27, requires_grad=True)
    out = []
    for k in range(3):
        xenc = F.one_hot(xs, num_classes=27).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad
        out.append(loss.item())
    return out, W, xenc.dtype == torch.float32, xenc.shape

@idiom
def mlp_makemore(torch, nn, F):
    block_size = 3
    X, Y = [], []
    for w in WORDS:
        context = [0] * block_size
        for ch in w + ".":
            ix = STOI[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    X = torch.tensor(X)
    Y = torch.tensor(Y)
    rng = np.random.default_rng(1)
    C = torch.tensor(rng.standard_normal((27, 10)).astype(np.float32))
    W1 = torch.tensor(rng.standard_normal((30, 200)).astype(np.float32)) * 0.1
    b1 = torch.tensor(rng.standard_normal(200).astype(np.float32)) * 0.01
    W2 = torch.tensor(rng.standard_normal((200, 27)).astype(np.float32)) * 0.01
    b2 = torch.zeros(27)
    parameters = [C, W1, b1, W2, b2]
    nparams = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True
    lre = torch.linspace(-3, 0, 1000)
    lrs = 10 ** lre
    lossi = []
    for i in range(3):
        ix = torch.tensor(rng.integers(0, X.shape[0], 16))
        emb = C[X[ix]]
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < 100000 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
    emb = C[X]
    alt = torch.cat(torch.unbind(emb, 1), 1)
    same = (emb.view(emb.shape[0], 6 * 5) == alt).all()
    return nparams, lossi, Shape(lrs), lrs[999].item(), same, emb[:, 0, :].shape, torch.randint(0, X.shape[0], (32,)).shape, emb.view(-1, 30).shape

@idiom
def batchnorm_by_hand(torch, nn, F):
    rng = np.random.default_rng(2)
    hpreact = torch.tensor(rng.standard_normal((32, 200)).astype(np.float32), requires_grad=True)
    bngain = torch.ones((1, 200))
    bnbias = torch.zeros((1, 200))
    bnmean_running = torch.zeros((1, 200))
    bnstd_running = torch.ones((1, 200))
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    out = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.999 * bnmean_running + 0.001 * bnmeani
        bnstd_running = 0.999 * bnstd_running + 0.001 * bnstdi
    out.sum().backward()
    kaiming = torch.randn((30, 200)) * (5 / 3) / (30 ** 0.5)
    return out, bnmean_running, bnstd_running, bnmean_running.requires_grad, hpreact.grad, Shape(kaiming), hpreact.var(0, keepdim=True, unbiased=True)

@idiom
def no_grad_decorator(torch, nn, F):
    W = torch.ones(3, requires_grad=True)
    @torch.no_grad()
    def split_loss():
        return (W * 2).sum()
    @torch.no_grad
    def bare():
        return W * 3
    out = split_loss()
    return out, out.requires_grad, bare().requires_grad, torch.is_grad_enabled()

@idiom
def manual_backprop(torch, nn, F):
    rng = np.random.default_rng(3)
    n = 8
    logits = torch.tensor(rng.standard_normal((n, 27)).astype(np.float32), requires_grad=True)
    Yb = torch.tensor(rng.integers(0, 27, n))
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum ** -1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes]:
        t.retain_grad()
    loss.backward()
    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    dprobs = (1.0 / probs) * dlogprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dlogit_maxes = -torch.ones_like(logit_maxes)
    onehot = F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    cmp = lambda dt, t: (torch.all(dt == t.grad).item(), torch.allclose(dt, t.grad), (dt - t.grad).abs().max().item() < 1e-6)
    dlogits = F.softmax(logits, 1)
    dlogits[range(n), Yb] -= 1
    dlogits /= n
    return cmp(dlogprobs, logprobs), cmp(dcounts_sum_inv, counts_sum_inv), onehot, dlogits, torch.allclose(dlogits, logits.grad, atol=1e-6), logits.max(1).indices.dtype == torch.int64

@idiom
def embedding_grad_loop(torch, nn, F):
    C = torch.arange(12.).view(6, 2)
    Xb = torch.tensor([[0, 1], [1, 5]])
    demb = torch.ones(2, 2, 2)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    return dC, demb.view(Xb.shape[0], -1).shape

@idiom
def wavenet_bits(torch, nn, F):
    x = torch.arange(4 * 8 * 10.).view(4, 8, 10)
    B, T, C = x.shape
    n = 2
    y = x.view(B, T // n, C * n)
    z = torch.arange(4 * 2 * 10.).view(4, 2, 10).view(4, 1, 20)
    if z.shape[1] == 1:
        z = z.squeeze(1)
    dim = (0, 1) if y.ndim == 3 else 0
    xmean = y.mean(dim, keepdim=True)
    xvar = y.var(dim, keepdim=True)
    lossi = [float(i) for i in range(3000)]
    curve = torch.tensor(lossi).view(-1, 1000).mean(1)
    return y.shape, z.shape, xmean, xvar, curve, np.asarray(curve)

@idiom
def micrograd_torch_check(torch, nn, F):
    x1 = torch.Tensor([2.0]).double()
    x1.requires_grad = True
    x2 = torch.Tensor([0.0]).double()
    x2.requires_grad = True
    w1 = torch.Tensor([-3.0]).double()
    w1.requires_grad = True
    w2 = torch.Tensor([1.0]).double()
    w2.requires_grad = True
    b = torch.Tensor([6.8813735870195432]).double()
    b.requires_grad = True
    n = x1 * w1 + x2 * w2 + b
    o = torch.tanh(n)
    o.backward()
    return o.data.item(), x2.grad.item(), w2.grad.item(), x1.grad.item(), w1.grad.item(), torch.Tensor([2.0]).dtype == torch.float32

@idiom
def gpt_data_bits(torch, nn, F):
    text = "hello world, this is a tiny corpus of text for testing"
    chars = sorted(list(set(text)))
    stoi = {ch: i for i, ch in enumerate(chars)}
    encode = lambda s: [stoi[c] for c in s]
    data = torch.tensor(encode(text), dtype=torch.long)
    n = int(0.9 * len(data))
    train_data = data[:n]
    block_size, batch_size = 8, 4
    ix = torch.tensor([0, 5, 10, 20])
    x = torch.stack([train_data[i:i + block_size] for i in ix])
    y = torch.stack([train_data[i + 1:i + block_size + 1] for i in ix])
    return data.dtype == torch.int64, x, y, Shape(torch.randint(len(data) - block_size, (batch_size,))), data[:10].tolist()

@idiom
def gpt_attention_bits(torch, nn, F):
    rng = np.random.default_rng(4)
    B, T, C = 2, 4, 8
    x = torch.tensor(rng.standard_normal((B, T, C)).astype(np.float32))
    xbow = torch.zeros((B, T, C))
    for b in range(B):
        for t in range(T):
            xprev = x[b, :t + 1]
            xbow[b, t] = torch.mean(xprev, 0)
    tril = torch.tril(torch.ones(T, T))
    wei = torch.zeros((T, T))
    wei = wei.masked_fill(tril == 0, float('-inf'))
    wei = F.softmax(wei, dim=-1)
    xbow3 = wei @ x
    k = x
    q = x
    att = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
    att = att.masked_fill(tril[:T, :T] == 0, float('-inf'))
    att = F.softmax(att, dim=-1)
    logits = x
    logits2 = logits.view(B * T, C)
    last = logits[:, -1, :]
    idx = torch.zeros((1, 1), dtype=torch.long)
    idx = torch.cat((idx, torch.tensor([[3]])), dim=1)
    return xbow, torch.allclose(xbow, xbow3, atol=1e-6), att, logits2.shape, last, idx, idx[0].tolist()

@idiom
def gpt_module_bits(torch, nn, F):
    class Head(nn.Module):
        def __init__(self, head_size, n_embd=8, block_size=4):
            super().__init__()
            self.key = nn.Linear(n_embd, head_size, bias=False)
            self.register_buffer('tril', torch.tril(torch.ones(block_size, block_size)))
            self.dropout = nn.Dropout(0.0)
        def forward(self, x):
            B, T, C = x.shape
            k = self.key(x)
            wei = k @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float('-inf'))
            return self.dropout(F.softmax(wei, dim=-1)) @ k
    torch.manual_seed(1337)
    m = Head(4)
    tok = nn.Embedding(10, 8)
    pos = nn.Embedding(4, 8)
    x = tok(torch.tensor([[1, 2, 3]])) + pos(torch.arange(3, device="cpu"))
    out = m(x)
    nparams = sum(p.numel() for p in m.parameters()) / 1e6
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
    out.sum().backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    m.eval()
    m.train()
    losses = torch.zeros(5)
    for k in range(5):
        losses[k] = float(k)
    return Shape(out), nparams, m.key.weight.grad is None, losses.mean(), "tril" in dict(m.named_buffers()), list(m.state_dict().keys())

@idiom
def tensors_tutorial(torch, nn, F):
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    np_array = np.array(data)
    x_np = torch.from_numpy(np_array)
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    shape = (2, 3,)
    rand_tensor = torch.rand(shape)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)
    tensor = torch.rand(3, 4)
    info = (tuple(tensor.shape), str(tensor.dtype).replace("torch.", ""), str(tensor.device))
    tensor = torch.ones(4, 4)
    first = tensor[0]
    col = tensor[:, 0]
    last = tensor[..., -1]
    tensor[:, 1] = 0
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    agg = tensor.sum()
    agg_item = agg.item()
    tensor.add_(5)
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    n2 = np.ones(5)
    t2 = torch.from_numpy(n2)
    np.add(n2, 1, out=n2)
    return (x_np, x_ones, Shape(x_rand), Shape(rand_tensor), ones_tensor, zeros_tensor, info, first, col, last, t1, y1, y2, y3, z1, z2, z3,
            agg_item, type(agg_item).__name__, tensor, n.copy(), t2)

@idiom
def autograd_tutorial(torch, nn, F):
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.tensor(np.arange(15.0, dtype=np.float32).reshape(5, 3) / 10, requires_grad=True)
    b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    with torch.no_grad():
        z2 = torch.matmul(x, w) + b
    z_det = z.detach()
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    g1 = inp.grad.clone()
    out.backward(torch.ones_like(out), retain_graph=True)
    g2 = inp.grad.clone()
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    return loss, w.grad, b.grad, z.requires_grad, z2.requires_grad, z_det.requires_grad, g1, g2, inp.grad

@idiom
def polynomial_numpy_style(torch, nn, F):
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(0.1, device=device, dtype=dtype)
    b, c, d = torch.tensor(0.2), torch.tensor(-0.1), torch.tensor(0.05)
    learning_rate = 1e-6
    for t in range(50):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum().item()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return loss, a, b, c, d, f'Result: y = {a.item()} + {b.item()} x'[:12], Shape(torch.randn((), device=device, dtype=dtype))

@idiom
def polynomial_autograd(torch, nn, F):
    dtype = torch.float
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
    y = torch.sin(x)
    a = torch.tensor(0.1, dtype=dtype, requires_grad=True)
    b = torch.tensor(0.2, dtype=dtype, requires_grad=True)
    c = torch.tensor(-0.1, dtype=dtype, requires_grad=True)
    d = torch.tensor(0.05, dtype=dtype, requires_grad=True)
    learning_rate = 1e-6
    for t in range(50):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return loss.item(), a, b, c, d

@idiom
def polynomial_nn(torch, nn, F):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]]))
        model[0].bias.fill_(0.1)
    loss_fn = torch.nn.MSELoss(reduction='sum')
    learning_rate = 1e-6
    for t in range(20):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    return xx.shape, xx.dtype == torch.float32, loss.item(), linear_layer.bias.item(), linear_layer.weight[:, 0].item(), linear_layer.weight[:, 1].item()

@idiom
def polynomial_optim(torch, nn, F):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]]))
        model[0].bias.fill_(0.1)
    loss_fn = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for t in range(20):
        loss = loss_fn(model(xx), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item(), model[0].weight

@idiom
def dynamic_net(torch, nn, F):
    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(0.1))
            self.b = torch.nn.Parameter(torch.tensor(0.2))
            self.e = torch.nn.Parameter(torch.tensor(0.01))
        def forward(self, x):
            y = self.a + self.b * x
            for exp in range(4, 6):
                y = y + self.e * x ** exp
            return y
        def string(self):
            return f'y = {self.a.item()} + {self.b.item()} x'
    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    model = DynamicNet()
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    for t in range(10):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item(), model.a, model.e, model.string()[:8]

@idiom
def quickstart_bits(torch, nn, F):
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(nn.Linear(6 * 6, 16), nn.ReLU(), nn.Linear(16, 10))
        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))
    model = NeuralNetwork().to(device)
    X = torch.rand(3, 1, 6, 6, device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    y = torch.tensor([1, 2, 3])
    correct = (logits.argmax(1) == y).type(torch.float).sum().item()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss = loss_fn(logits, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    path = os.path.join(tempfile.mkdtemp(), "model.pth")
    torch.save(model.state_dict(), path)
    model2 = NeuralNetwork()
    model2.load_state_dict(torch.load(path, weights_only=True))
    names = [name for name, param in model.named_parameters()]
    return device, Shape(logits), Shape(y_pred), type(correct).__name__, names, torch.equal(model2.linear_relu_stack[0].weight, model.linear_relu_stack[0].weight), Shape(loss)

@idiom
def nn_tutorial_from_scratch(torch, nn, F):
    rng = np.random.default_rng(5)
    x_train, y_train = rng.random((64, 784)).astype(np.float32), rng.integers(0, 10, 64)
    x_train, y_train = map(torch.tensor, (x_train, y_train))
    n, c = x_train.shape
    weights = torch.tensor(rng.standard_normal((784, 10)).astype(np.float32)) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)
    def model(xb):
        return log_softmax(xb @ weights + bias)
    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()
    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()
    bs, lr = 16, 0.5
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        xb = x_train[start_i:start_i + bs]
        yb = y_train[start_i:start_i + bs]
        loss = nll(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
    loss_func = F.cross_entropy
    return loss, accuracy(model(x_train), y_train), loss_func(xb @ weights + bias, yb), x_train.dtype == torch.float32, y_train.dtype == torch.int64

@idiom
def nn_tutorial_modules(torch, nn, F):
    from_lib = torch.utils.data
    rng = np.random.default_rng(6)
    x_train = torch.tensor(rng.random((64, 784)).astype(np.float32))
    y_train = torch.tensor(rng.integers(0, 10, 64))
    class Mnist_Logistic(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.Parameter(torch.tensor(rng.standard_normal((784, 10)).astype(np.float32)) / math.sqrt(784))
            self.bias = nn.Parameter(torch.zeros(10))
        def forward(self, xb):
            return xb @ self.weights + self.bias
    model = Mnist_Logistic()
    loss_func = F.cross_entropy
    lr = 0.5
    train_ds = from_lib.TensorDataset(x_train, y_train)
    train_dl = from_lib.DataLoader(train_ds, batch_size=16)
    for xb, yb in train_dl:
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad * lr
            model.zero_grad()
    model.eval()
    with torch.no_grad():
        valid_loss = sum(loss_func(model(xb), yb) for xb, yb in train_dl)
    res = valid_loss / len(train_dl)
    xb, yb = train_ds[0:3]
    return loss, res, len(train_ds), xb.shape, model.weights.grad is None

@idiom
def nn_tutorial_cnn(torch, nn, F):
    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func
        def forward(self, x):
            return self.func(x)
    torch.manual_seed(0)
    model = nn.Sequential(
        Lambda(lambda x: x.view(-1, 1, 28, 28)),
        nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), Lambda(lambda x: x.view(x.size(0), -1)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xb = torch.rand(4, 784)
    out = model(xb)
    pooled = F.avg_pool2d(torch.arange(64.).view(1, 1, 8, 8), 4)
    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    losses, nums = zip(*[(1.0, 4), (2.0, 2)])
    val = np.sum(np.multiply(losses, nums)) / np.sum(nums)
    return Shape(out), pooled, str(dev), float(val), xb.to(dev).shape

@idiom
def brief_misc(torch, nn, F):
    x = torch.tensor([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
    mx = x.max(1)
    v, i = x.max(dim=1)
    tk = torch.topk(x, 2)
    srt = torch.sort(x, dim=1, descending=True)
    am = torch.argmax(x)
    s = x.sum(dim=(0, 1))
    parts = (x.unbind(0), x.split(2, dim=1), x.chunk(2, dim=1), torch.split(x, [1, 2], dim=1))
    padded = F.pad(x, (1, 2))
    padded2 = F.pad(x, (1, 1, 1, 0), value=-1.0)
    tr = torch.tril(x)
    tu = torch.triu(x, diagonal=1)
    mf = x.masked_fill(x > 2, 0.0)
    st = torch.stack([x, x], dim=1)
    mx_fields = (mx.values, mx.indices, mx[0], mx[1])
    return (mx_fields, v, i, tk.values, tk.indices, srt.values, srt.indices, am, am.item(), s, parts, padded, padded2, tr, tu, mf, st,
            torch.allclose(x, x + 1e-9), x.tolist(), np.asarray(x), x.argmax(dim=1, keepdim=True), x.min(), x.max(), x.T.shape,
            x.exp().log().allclose(x), torch.arange(5), torch.arange(1, 4), torch.arange(0, 1, 0.25), torch.linspace(0, 1, 5))

@idiom
def imshow_conversion(torch, nn, F):
    N = torch.zeros((3, 3), dtype=torch.int32)
    N[1, 2] += 5
    a = np.asanyarray(N)
    b = np.asarray(N.float()).copy()
    c = np.asarray(N[1, 2])
    return a, b, c, N[1, 2].item(), int(N[1, 2]), float(N.float()[1, 2])

@idiom
def reductions_misc(torch, nn, F):
    x = torch.arange(24.).view(2, 3, 4)
    return (x.sum((0, 2)), x.mean(dim=[0, 1]), x.std(), x.var(1), x.prod(2), x.max(), x.amax((0, 1)), x.logsumexp(1),
            x.cumsum(2), x.norm(), x.mean(-1, keepdim=True).shape, x.sum(-1).sum(-1), x.numel(), x.size(), x.size(1), x.dim())

@idiom
def loss_functions(torch, nn, F):
    rng = np.random.default_rng(7)
    logits = torch.tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    target = torch.tensor([0, 3, 1, 1, 2])
    ce = F.cross_entropy(logits, target)
    ce2 = F.cross_entropy(logits, target, reduction="sum", label_smoothing=0.1)
    nll = F.nll_loss(F.log_softmax(logits, dim=1), target)
    mse = F.mse_loss(logits, torch.zeros(5, 4))
    bce = F.binary_cross_entropy(torch.sigmoid(logits), torch.ones(5, 4))
    (ce + nll + mse + bce + ce2).backward()
    return ce, ce2, nll, mse, bce, logits.grad



@idiom
def new_methods(torch, nn, F):
    x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    return (x.new_zeros(2, 3), x.new_ones((2,)), x.new_tensor([1, 2]), x.new_full((2,), 3.0), Shape(x.new_empty(4)),
            torch.zeros_like(x, dtype=torch.int32), torch.full_like(x, 7), Shape(torch.empty_like(x)), Shape(torch.randn_like(x)))

@idiom
def comparisons(torch, nn, F):
    x = torch.tensor([1, 2, 3])
    y = torch.tensor([3, 2, 1])
    return (x.eq(y), x.ne(y), x.gt(y), x.ge(y), x.lt(y), x.le(y), torch.eq(x, y), torch.gt(x, 1), torch.ne(x, 2),
            torch.maximum(x, y), torch.max(x, y), torch.min(x, y), torch.equal(x, x), (x > 1).sum().item(), (x == 2).any().item(),
            torch.tensor([True, False]).sum(), x.eq(2).float().mean())

@idiom
def function_forms(torch, nn, F):
    x = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
    return (torch.sum(x, dim=1), torch.mean(x), torch.max(x, 1).values, torch.max(x, dim=1).indices, torch.min(x), torch.abs(x), torch.exp(x),
            torch.sqrt(torch.abs(x)), torch.clamp(x, min=0), torch.clamp(x, -1, 1), torch.sigmoid(x), torch.relu(x), torch.softmax(x, dim=1),
            torch.log_softmax(x, dim=1), torch.where(x > 0, x, torch.zeros_like(x)), torch.where(x > 0, x, 0.0), torch.flatten(x), torch.flatten(x, 1),
            torch.squeeze(x.unsqueeze(0)), torch.unsqueeze(x, 1).shape, torch.transpose(x, 0, 1), torch.permute(x, (1, 0)), torch.reshape(x, (3, 2)),
            torch.numel(x), torch.is_tensor(x), torch.sign(x), torch.cumsum(x, dim=1), torch.flip(x, [0]), torch.roll(x, 1, 1),
            torch.outer(x[0], x[1]), torch.diag(x[0]), torch.eye(3), torch.argsort(x, dim=1), torch.unique(torch.tensor([3, 1, 3])),
            torch.prod(x, 1), torch.std(x, dim=0), torch.var(x), torch.norm(x), torch.square(x), torch.pow(x, 2), torch.neg(x), torch.round(x * 1.3),
            torch.einsum("ij,kj->ik", x, x), torch.mm(x, x.T), torch.tanh(x), torch.log1p(torch.abs(x)), torch.all(x > -5), torch.any(x > 2))

@idiom
def indexing_idioms(torch, nn, F):
    x = torch.arange(12.).view(3, 4)
    y = x.clone()
    y[y > 5] = 0
    w = x.clone()
    w[torch.tensor([0, 2])] = torch.tensor([9.0, 8.0, 7.0, 6.0])
    m = x.clone()
    m[1] = -1
    k = x.clone()
    k[[0, 1], [1, 2]] = 100.0
    return (x[torch.arange(3), torch.tensor([0, 1, 3])], x[x > 4], x[:, None].shape, x[None].shape, x[..., None].shape, y, w, m, k, x[-1], x[:, -2:], x[1, 2].item(),
            x[[0, 2]], x[torch.tensor([True, False, True])], x[range(2), [1, 1]], x.T[0], x[:, 1:3].contiguous())

@idiom
def conversions(torch, nn, F):
    a = torch.tensor(5)
    b = torch.tensor([1.5, 2])
    c = torch.tensor(np.array([1, 2, 3]))
    d = torch.tensor(np.float32(2.5))
    e = torch.as_tensor([1, 2])
    f = torch.from_numpy(np.arange(3.0)).float()
    g = torch.tensor([True, False])
    x = torch.randn(3, requires_grad=True)
    return (a.dtype == torch.int64, type(a.item()).__name__, b.dtype == torch.float32, c.dtype == torch.int64, d.dtype == torch.float32, e, f, type(g[0].item()).__name__,
            x.detach().cpu().numpy().shape, x.cpu().detach().numpy().dtype == np.float32,
            torch.get_default_dtype() == torch.float32, int(torch.tensor([1.0, 5.0]).argmax()), float(torch.tensor(2.5)), torch.tensor(3.0).item(),
            b.type(torch.float64).dtype == torch.float64, b.to(torch.int64), b.long(), b.int(), b.bool(), b.double(), b.half().dtype == torch.float16,
            torch.tensor([[1, 2], [3, 4]]).float().mean(), torch.tensor(2.0) ** 3, 2 ** torch.tensor([1.0, 2.0]))

@idiom
def printing(torch, nn, F):
    t = torch.tensor(3.14159)
    return (f"{t.item():.3f}", f"{t:.2f}", format(torch.tensor([2.5])[0], ".1f"), str(torch.tensor([1., 2.])), repr(torch.tensor([1, 2])),
            str(torch.tensor(3.5)), str(torch.tensor([0.1234567, 2.0])), str(torch.tensor([True, False])),
            repr(torch.tensor([1.0], requires_grad=True)), str(torch.tensor([1e-8, 1.0])), str(torch.tensor([1e6, 1.0])), str(torch.tensor(float('nan'))),
            str(torch.tensor([[1.5, -2.25], [3.0, 4.0]])), str(torch.tensor([])))

@idiom
def inplace_idioms(torch, nn, F):
    x = torch.zeros(3)
    x.fill_(2.0)
    x.add_(1)
    x.mul_(2)
    x.sub_(torch.ones(3))
    x.div_(5)
    x.clamp_(min=0.5)
    x.pow_(2)
    y = torch.ones(2, 2)
    y.zero_()
    y.add_(torch.ones(2, 2), alpha=3)
    z = torch.arange(6.).view(2, 3)
    z.masked_fill_(z > 3, -1.0)
    w = torch.ones(4)
    w.uniform_(0, 1)
    w.normal_()
    w.copy_(torch.arange(4.0))
    v = torch.ones(3, requires_grad=True)
    v.grad = torch.ones(3)
    v.grad.data.zero_()
    u = torch.zeros(3)
    u.index_fill_(0, torch.tensor([0, 2]), 5.0)
    return x, y, z, w, v.grad, u

@idiom
def nn_functional_misc(torch, nn, F):
    rng = np.random.default_rng(8)
    x = torch.tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    w = torch.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    v = torch.tensor(rng.standard_normal((4, 5)).astype(np.float32))
    return (F.conv2d(x, w, padding=1), F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.linear(v, torch.ones(3, 5)), F.gelu(v), F.layer_norm(v, (5,)),
            F.normalize(v, dim=1), F.dropout(v, p=0.5, training=False), F.embedding(torch.tensor([1, 0]), v), F.silu(v), F.softmax(v, -1),
            F.leaky_relu(v, 0.1), F.relu(v, inplace=False), F.tanh(v), F.sigmoid(v), F.batch_norm(v, torch.zeros(5), torch.ones(5)), F.cosine_similarity(v, v + 1),
            F.interpolate(x, scale_factor=2, mode="nearest").shape, F.unfold(x, 2).shape, F.pad(x, (1, 1, 2, 2), mode="reflect").shape)

@idiom
def nn_layers_misc(torch, nn, F):
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4), nn.BatchNorm1d(4), nn.Tanh(), nn.Dropout(0.1), nn.Linear(4, 2))
    seq.eval()
    out = seq(torch.ones(3, 5))
    nn.init.kaiming_normal_(seq[0].weight, mode="fan_in", nonlinearity="relu")
    nn.init.zeros_(seq[0].bias)
    nn.init.xavier_uniform_(seq[5].weight)
    loss = seq(torch.ones(3, 5)).sum()
    seq.train()
    seq(torch.randn(3, 5)).sum().backward()
    total = torch.nn.utils.clip_grad_norm_(seq.parameters(), max_norm=1.0)
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    emb = nn.Embedding(5, 3)
    return Shape(out), Shape(total), len(ml), len(list(seq.parameters())), Shape(emb(torch.tensor([[1, 2]]))), [type(m).__name__ for m in seq.children()], seq[1].weight.requires_grad

@idiom
def shapes_misc(torch, nn, F):
    x = torch.arange(6.).view(2, 3)
    return (x[None].expand(4, -1, -1).shape, x.repeat(2, 1), x.unsqueeze(1).expand(2, 3, 3).shape, x.flatten(),
            x.view(3, -1), x.reshape(-1), x.t(), x.permute(1, 0), x.transpose(1, 0), torch.cat([x, x]), torch.cat((x, x), 1), torch.stack((x, x)),
            torch.hstack([x, x]), torch.vstack([x, x]), x.split(1), x.chunk(3, 1), x.unbind(1), x.squeeze(), x[:, :, None].squeeze(-1), x.view(-1, 1).shape,
            torch.broadcast_tensors(x, torch.ones(3))[1], x.unfold(1, 2, 1), x.numel(), x.size(-1), x.shape[-1])

@idiom
def random_api(torch, nn, F):
    torch.manual_seed(42)
    g = torch.Generator().manual_seed(2147483647)
    a = torch.rand(2, 3)
    b = torch.randn(4, generator=g)
    c = torch.randint(10, (3,))
    d = torch.randint(0, 5, (2, 2), generator=g)
    e = torch.randperm(5)
    f = torch.normal(0.0, 1.0, size=(3,))
    h = torch.bernoulli(torch.full((3,), 0.5))
    i = torch.rand(3, dtype=torch.float64)
    j = torch.multinomial(torch.tensor([0.1, 0.9]), 5, replacement=True)
    k = torch.randn(2, 3) * 0.01
    return [Shape(t) for t in (a, b, c, d, e, f, h, i, j, k)] + [torch.initial_seed() == 42, sorted(e.tolist())]



@idiom
def makemore2_bits(torch, nn, F):
    rng = np.random.default_rng(9)
    C = torch.tensor(rng.standard_normal((27, 2)).astype(np.float32))
    a = torch.arange(18)
    X = torch.tensor(rng.integers(0, 27, (32, 3)))
    emb = C[X]
    return (C[5], F.one_hot(torch.tensor(5), num_classes=27).float() @ C, C[torch.tensor([5, 6, 7, 7, 7, 7])], emb.shape, X[13, 2], C[X][13, 2],
            torch.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1), a.view(2, 9), a.view(3, 3, 2).shape, torch.linspace(0.001, 1, 1000)[:3],
            C[:, 0].data, C[1, 0].item())

@idiom
def makemore3_bits(torch, nn, F):
    x = torch.tensor(np.random.default_rng(10).standard_normal((1000, 10)).astype(np.float32))
    w = torch.tensor(np.random.default_rng(11).standard_normal((10, 200)).astype(np.float32)) / 10 ** 0.5
    y = x @ w
    logits = torch.tensor([1.0, 1.0, 1.0, 1.0])
    probs = torch.softmax(logits, dim=0)
    loss = -probs[2].log()
    t = torch.tanh(y)
    sat = (t.abs() > 0.97).float().mean() * 100
    hy, hx = torch.histogram(t, density=True)
    return x.mean(), x.std(), y.mean(), y.std(), loss, len(y.view(-1).tolist()), sat, hy, hx, hx[:-1].detach().shape

@idiom
def makemore4_bits(torch, nn, F):
    rng = np.random.default_rng(12)
    n = 4
    bnvar = torch.tensor(rng.random((1, 5)).astype(np.float32))
    bndiff2 = torch.tensor(rng.random((n, 5)).astype(np.float32))
    dbnvar_inv = torch.ones(1, 5)
    dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
    demb = torch.tensor(rng.standard_normal((n, 3, 2)).astype(np.float32))
    Xb = torch.tensor(rng.integers(0, 6, (n, 3)))
    dC = torch.zeros(6, 2)
    dC.index_add_(0, Xb.view(-1), demb.view(-1, 2))
    parameters = [torch.ones(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    grads = [torch.ones(2), torch.ones(3)]
    with torch.no_grad():
        for p, grad in zip(parameters, grads):
            p.data += -0.1 * grad
    return dbnvar, dbndiff2, dC, parameters, dbndiff2.sum(0, keepdim=True), np.asarray(dbndiff2.detach())

@idiom
def wavenet_classes(torch, nn, F):
    class Linear:
        def __init__(self, fan_in, fan_out, bias=True, seed=0):
            self.weight = torch.tensor(np.random.default_rng(seed).standard_normal((fan_in, fan_out)).astype(np.float32)) / fan_in ** 0.5
            self.bias = torch.zeros(fan_out) if bias else None
        def __call__(self, x):
            self.out = x @ self.weight
            if self.bias is not None:
                self.out += self.bias
            return self.out
        def parameters(self):
            return [self.weight] + ([] if self.bias is None else [self.bias])
    class BatchNorm1d:
        def __init__(self, dim, eps=1e-5, momentum=0.1):
            self.eps = eps
            self.momentum = momentum
            self.training = True
            self.gamma = torch.ones(dim)
            self.beta = torch.zeros(dim)
            self.running_mean = torch.zeros(dim)
            self.running_var = torch.ones(dim)
        def __call__(self, x):
            if self.training:
                dim = 0 if x.ndim == 2 else (0, 1)
                xmean = x.mean(dim, keepdim=True)
                xvar = x.var(dim, keepdim=True)
            else:
                xmean = self.running_mean
                xvar = self.running_var
            xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
            self.out = self.gamma * xhat + self.beta
            if self.training:
                with torch.no_grad():
                    self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                    self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
            return self.out
        def parameters(self):
            return [self.gamma, self.beta]
    class Tanh:
        def __call__(self, x):
            self.out = torch.tanh(x)
            return self.out
        def parameters(self):
            return []
    class Embedding:
        def __init__(self, num_embeddings, embedding_dim):
            self.weight = torch.tensor(np.random.default_rng(1).standard_normal((num_embeddings, embedding_dim)).astype(np.float32))
        def __call__(self, IX):
            self.out = self.weight[IX]
            return self.out
        def parameters(self):
            return [self.weight]
    class FlattenConsecutive:
        def __init__(self, n):
            self.n = n
        def __call__(self, x):
            B, T, C = x.shape
            x = x.view(B, T // self.n, C * self.n)
            if x.shape[1] == 1:
                x = x.squeeze(1)
            self.out = x
            return self.out
        def parameters(self):
            return []
    class Sequential:
        def __init__(self, layers):
            self.layers = layers
        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            self.out = x
            return self.out
        def parameters(self):
            return [p for layer in self.layers for p in layer.parameters()]
    model = Sequential([Embedding(27, 4), FlattenConsecutive(2), Linear(8, 16, bias=False), BatchNorm1d(16), Tanh(),
                        FlattenConsecutive(2), Linear(32, 16, bias=False, seed=2), BatchNorm1d(16), Tanh(), Linear(16, 27, seed=3)])
    with torch.no_grad():
        model.layers[-1].weight *= 0.1
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad = True
    Xb = torch.tensor(np.random.default_rng(4).integers(0, 27, (8, 4)))
    Yb = torch.tensor(np.random.default_rng(5).integers(0, 27, 8))
    lossi, ud = [], []
    for i in range(3):
        logits = model(Xb)
        loss = F.cross_entropy(logits, Yb)
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.log10().item())
        with torch.no_grad():
            ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])
    for layer in model.layers:
        layer.training = False
    out = model(Xb)
    stats = [(layer.out.mean().item(), layer.out.std().item()) for layer in model.layers[:5]]
    print_line = f'{2:7d}/{200000:7d}: {loss.item():.4f}'
    return lossi, ud, out, stats, print_line, sum(p.nelement() for p in parameters)

@idiom
def nanogpt_bits(torch, nn, F):
    B, T, C, n_head = 2, 4, 8, 2
    torch.manual_seed(0)
    c_attn = nn.Linear(C, 3 * C)
    with torch.no_grad():
        c_attn.weight.copy_(torch.tensor(np.random.default_rng(13).standard_normal((3 * C, C)).astype(np.float32) * 0.2))
        c_attn.bias.zero_()
    x = torch.tensor(np.random.default_rng(14).standard_normal((B, T, C)).astype(np.float32))
    bias = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
    q, k, v = c_attn(x).split(C, dim=2)
    k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
    q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
    v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    att = att.masked_fill(bias[:, :, :T, :T] == 0, float('-inf'))
    att = F.softmax(att, dim=-1)
    y = att @ v
    y = y.transpose(1, 2).contiguous().view(B, T, C)
    y2 = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
    logits = y.clone()
    v_, _ = torch.topk(logits[:, -1, :], min(3, logits.size(-1)))
    last = logits[:, -1, :].clone()
    last[last < v_[:, [-1]]] = -float('Inf')
    targets = torch.tensor([[1, 2, 3, -1], [0, -1, 4, 5]])
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
    pos = torch.arange(0, T, dtype=torch.long, device="cpu")
    param_dict = {pn: p for pn, p in c_attn.named_parameters()}
    decay = [p for n, p in param_dict.items() if p.dim() >= 2]
    nodecay = [p for n, p in param_dict.items() if p.dim() < 2]
    optim_groups = [{'params': decay, 'weight_decay': 0.1}, {'params': nodecay, 'weight_decay': 0.0}]
    optimizer = torch.optim.AdamW(optim_groups, lr=1e-3, betas=(0.9, 0.95))
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(c_attn.parameters(), 1.0)
    for param_group in optimizer.param_groups:
        param_group['lr'] = 5e-4
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    data = np.arange(100, dtype=np.uint16)
    xb = torch.stack([torch.from_numpy((data[i:i + 4]).astype(np.int64)) for i in [0, 10]])
    return y, y2, torch.allclose(y, y2, atol=1e-5), last, loss, pos, xb, Shape(norm), c_attn.weight, len(optimizer.param_groups)

@idiom
def gpt_init_and_tying(torch, nn, F):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(10, 4)
            self.ln = nn.LayerNorm(4)
            self.lm_head = nn.Linear(4, 10, bias=False)
            self.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
        def forward(self, idx):
            return self.lm_head(self.ln(self.wte(idx)))
    m = Model()
    n = sum(p.numel() for p in m.parameters())
    out = m(torch.tensor([[1, 2]]))
    out.sum().backward()
    return n, Shape(out), m.wte.weight is m.lm_head.weight, len(list(m.parameters())), sorted(m.state_dict().keys())


@idiom
def transforms_target(torch, nn, F):
    target = lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)
    return target(3), target(0)

@idiom
def datasets_loaders(torch, nn, F):
    data = torch.utils.data
    class CustomDataset(data.Dataset):
        def __init__(self, n):
            self.x = torch.arange(float(n)).view(n, 1)
            self.y = torch.arange(n) % 3
        def __len__(self):
            return len(self.y)
        def __getitem__(self, idx):
            return self.x[idx], self.y[idx].item()
    ds = CustomDataset(10)
    dl = data.DataLoader(ds, batch_size=4, shuffle=False)
    X, y = next(iter(dl))
    sizes = [len(xb) for xb, yb in dl]
    size = len(dl.dataset)
    num_batches = len(dl)
    return X, y, sizes, size, num_batches, [b for b, _ in enumerate(dl)]

@idiom
def train_test_loops(torch, nn, F):
    data = torch.utils.data
    rng = np.random.default_rng(15)
    X = torch.tensor(rng.standard_normal((20, 4)).astype(np.float32))
    Y = torch.tensor(rng.integers(0, 3, 20))
    dl = data.DataLoader(data.TensorDataset(X, Y), batch_size=8)
    model = nn.Sequential(nn.Linear(4, 3))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(rng.standard_normal((3, 4)).astype(np.float32)))
        model[0].bias.zero_()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
    log = []
    size = len(dl.dataset)
    model.train()
    for batch, (Xb, yb) in enumerate(dl):
        pred = model(Xb)
        loss = loss_fn(pred, yb)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss, current = loss.item(), batch * 8 + len(Xb)
        log.append((loss, f"[{current:>5d}/{size:>5d}]"))
    model.eval()
    num_batches = len(dl)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for Xb, yb in dl:
            pred = model(Xb)
            test_loss += loss_fn(pred, yb).item()
            correct += (pred.argmax(1) == yb).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    params = [(name, tuple(param.size()), param[:2]) for name, param in model.named_parameters()]
    return log, f"Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f}", params

@idiom
def polynomial_module(torch, nn, F):
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.tensor(0.1))
            self.b = torch.nn.Parameter(torch.tensor(0.2))
            self.c = torch.nn.Parameter(torch.tensor(-0.1))
            self.d = torch.nn.Parameter(torch.tensor(0.05))
        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        def string(self):
            return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    model = Polynomial3()
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    for t in range(30):
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item(), Shape(torch.nn.Parameter(torch.randn(()))), model.a, isinstance(model.a, torch.nn.Parameter)

@idiom
def wrapped_dataloader(torch, nn, F):
    data = torch.utils.data
    def preprocess(x, y):
        return x.view(-1, 1, 4, 4), y
    class WrappedDataLoader:
        def __init__(self, dl, func):
            self.dl = dl
            self.func = func
        def __len__(self):
            return len(self.dl)
        def __iter__(self):
            for b in self.dl:
                yield (self.func(*b))
    ds = data.TensorDataset(torch.arange(64.).view(4, 16), torch.tensor([0, 1, 0, 1]))
    dl = WrappedDataLoader(data.DataLoader(ds, batch_size=2 * 2), preprocess)
    xb, yb = next(iter(dl))
    model = nn.Sequential(nn.Conv2d(1, 2, kernel_size=3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return xb.shape, yb, Shape(model(xb)), len(dl)

@idiom
def autograd_grad_and_size(torch, nn, F):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    g, = torch.autograd.grad(y, x, create_graph=True)
    h, = torch.autograd.grad(g.sum(), x)
    z = torch.ones(2, 3)
    return g, h, z.shape == torch.Size([2, 3]), z.size() == (2, 3), list(z.shape), z.shape[1], tuple(z.size())

@idiom
def item_types(torch, nn, F):
    return (type(torch.tensor(1).item()).__name__, type(torch.tensor(1.0).item()).__name__, type(torch.tensor(True).item()).__name__,
            torch.tensor([1, 2]).tolist(), type(torch.tensor([1.5]).tolist()[0]).__name__, torch.tensor([[1.0]]).item(), torch.tensor(7).long().item())

@idiom
def scatter_forms(torch, nn, F):
    x = torch.zeros(3, 4)
    idx = torch.tensor([[0, 1, 2, 0]])
    return (x.scatter(0, idx, 1.0), x.scatter(0, idx, torch.ones(1, 4) * 2), torch.zeros(5).scatter_(0, torch.tensor([1, 3]), 1.0),
            torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), torch.tensor([[5.0], [6.0]])), torch.zeros(3).scatter_add_(0, torch.tensor([0, 0, 2]), torch.ones(3)))

@idiom
def stats_misc(torch, nn, F):
    x = torch.tensor([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    return (x.mean(dim=0), x.median(), x.median(dim=1).values, x.std(dim=1, unbiased=False), x.var(1, correction=0), torch.var_mean(x, 1),
            x.cumsum(0), x.kthvalue(2, 1).values,
            torch.quantile(x, 0.5, dim=1), x.nanmean(),
            torch.diff(x, dim=1), torch.cumsum(x, dim=1), x.log_softmax(1), x.softmax(-1))

@idiom
def more_tensor_methods(torch, nn, F):
    x = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    return (x.sum().item(), x.abs().sum(1), x.max().item(), x.argmax().item(), x.flatten().tolist(), x.numpy().sum(),
            x.clamp(min=0).sum(), x.sign(), x.pow(2).sqrt(), x.exp().log(), x.reciprocal(), x.square().mean(), x.mul(2).add(1).div(3).sub(1),
            x.float().dtype == torch.float32, x.masked_fill(x < 0, 0), x.where(x > 0, torch.zeros_like(x)), x.fill_diagonal_(0),
            x.triu(), x.tril(-1), x.diag(), x.trace(), x.norm(dim=1), x.t().contiguous().view(-1), x.add(x, alpha=2),
            x.element_size(), x.nelement(), x.ndimension())



@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_idiom_runs_as_under_torch(name):
    expected = IDIOMS[name](torch_module, torch_module.nn, torch_module.nn.functional)
    got = IDIOMS[name](tinygrad_ed, tinygrad_ed.nn, tinygrad_ed.nn.functional)
    assert not differences(expected, got), differences(expected, got)
