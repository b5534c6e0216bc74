"""te.amp: GradScaler's dynamic loss scaling step for step as torch's (against torch's CPU scaler when it is
installed, and against its rules written out), autocast as an accepted no-op region, and the mixed-precision
names scripts use (te.bfloat16, te.cuda.amp, te.backends.cuda.matmul.allow_tf32)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import nn


def scaled_steps(lib, poisoned: set[int], steps: int = 6):
    """A linear model trained with a CPU GradScaler (growth every 2 clean steps); the steps in `poisoned`
    get an inf in their gradient. Returns the scales after each update, the weights and the state_dict."""
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 1)
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[0.5, -0.25, 1.0]]))
        model.bias.fill_(0.1)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    x, y = lib.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]), lib.tensor([[1.0], [0.0]])
    scales = []
    for i in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        scaler.scale(loss).backward()
        if i in poisoned:
            with lib.no_grad():
                model.bias.grad.fill_(float("inf"))
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return scales, model.weight.detach().numpy().copy(), scaler.state_dict()


def test_grad_scaler_skips_overflowing_steps_and_grows_after_clean_ones():
    scales, weight, state = scaled_steps(te, poisoned={2})
    # clean, clean (grow x2), inf (skip, back off x0.5, tracker reset), clean, clean (grow), clean
    assert scales == [1024.0, 2048.0, 1024.0, 1024.0, 2048.0, 2048.0]
    assert state == {"scale": 2048.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2,
                     "_growth_tracker": 1}
    _, unscaled_weight, _ = scaled_steps(te, poisoned=set(), steps=5)
    np.testing.assert_allclose(weight, unscaled_weight, rtol=1e-6)  # the poisoned step changed nothing


def test_grad_scaler_matches_torchs_cpu_scaler():
    torch = pytest.importorskip("torch")
    ours, theirs = scaled_steps(te, poisoned={1, 4}), scaled_steps(torch, poisoned={1, 4})
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)
    assert ours[2] == theirs[2]


def test_grad_scaler_refuses_what_torchs_refuses():
    model = nn.Linear(2, 1)
    opt = te.optim.SGD(model.parameters(), lr=0.1)
    scaler = te.amp.GradScaler("cpu")
    with pytest.raises(AssertionError, match="No inf checks were recorded"):
        scaler.update()
    scaler.scale(model(te.ones(1, 2)).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        te.amp.GradScaler("cpu").step(opt, closure=lambda: 0.0)
    with pytest.raises(ValueError, match="growth factor"):
        te.amp.GradScaler("cpu", growth_factor=1.0)


def test_a_cuda_grad_scaler_disables_itself_as_torchs_does_without_a_gpu():
    """nanoGPT's `scaler = torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))` on a CPU machine."""
    with pytest.warns(FutureWarning, match="deprecated"), pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = te.cuda.amp.GradScaler(enabled=True)
    model = nn.Linear(2, 1)
    opt = te.optim.SGD(model.parameters(), lr=0.5)
    loss = model(te.ones(1, 2)).sum()
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    assert scaler.scale(loss) is loss
    loss.backward()
    before = model.bias.detach().numpy().copy()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    np.testing.assert_allclose(model.bias.detach().numpy(), before - 0.5)


def test_autocast_is_an_accepted_region_that_keeps_the_inputs_dtypes():
    with pytest.warns(UserWarning, match="but CUDA is not available"):
        region = te.autocast(device_type="cuda", dtype=te.bfloat16)
    with region:
        assert not te.is_autocast_enabled("cuda")
    x = te.ones(2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the once-per-process note that no bfloat16 kernels exist
        with te.autocast(device_type="cpu", dtype=te.bfloat16):
            assert te.is_autocast_enabled("cpu")
            assert (x @ x).dtype == te.float32
    assert not te.is_autocast_enabled("cpu")

    @te.amp.autocast("cpu", enabled=False)
    def product(a):
        assert not te.is_autocast_enabled("cpu")
        return a @ a
    assert product(x).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        te.autocast("tpu")


def test_the_mixed_precision_names_scripts_use():
    """nanoGPT builds `{'float32': torch.float32, 'bfloat16': torch.bfloat16, 'float16': torch.float16}` and sets
    the TF32 flags before anything else."""
    dtypes = {"float32": te.float32, "bfloat16": te.bfloat16, "float16": te.float16}
    assert repr(dtypes["bfloat16"]) == "bfloat16" and te.bfloat16.is_floating_point
    for spelling in (te.bfloat16, "bfloat16", "torch.bfloat16"):
        with pytest.raises(TypeError, match="bfloat16 is not supported: numpy has no bfloat16"):
            te.zeros(2, dtype=spelling)
    te.backends.cuda.matmul.allow_tf32 = True
    te.backends.cudnn.allow_tf32 = True
    assert not te.cuda.is_bf16_supported() and not te.backends.cuda.is_built()


def test_a_compiled_step_that_scales_its_loss_reads_the_scale_at_every_call():
    """The scale is a tensor, as torch's: a compiled backward step reads its current value (a Python float would
    be written into the program, and the gradients scaled by a stale scale once it grew)."""
    trained = []
    for compile_it in (False, True):
        te.manual_seed(0)
        model = nn.Linear(3, 1)
        opt = te.optim.SGD(model.parameters(), lr=0.01)
        scaler = te.amp.GradScaler("cpu", init_scale=4.0, growth_interval=3)

        def backward_step(x, y, model=model, opt=opt, scaler=scaler):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            scaler.scale(loss).backward()
            return loss
        run = te.compile(backward_step) if compile_it else backward_step
        for i in range(8):
            run(te.full((2, 3), float(i)), te.ones(2, 1))
            scaler.step(opt)
            scaler.update()
        trained.append((model.weight.detach().numpy().copy(), scaler.get_scale()))
    assert trained[0][1] == trained[1][1] == 16.0  # grown twice
    np.testing.assert_array_equal(trained[1][0], trained[0][0])
    assert "runs eagerly" not in run.code
