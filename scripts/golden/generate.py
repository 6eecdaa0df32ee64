#!/usr/bin/python3
"""Golden test vectors for shardstep, computed by PyTorch 1.13 (Debian python3-torch).

Run with the Debian system interpreter (it has torch; a pyenv `python3` on PATH does not):

    /usr/bin/python3 scripts/golden/generate.py [--out DIR]      # or: npm run golden

Writes, under test/golden/ (or DIR):
    inputs.safetensors          initial weights + 12 gradient steps for lengths 1, 7, 257, 3001
    rules/<rule>.safetensors    per-step weights and optimizer state for every case of every rule
    schedules.json              40 learning rates per LR-schedule case
    averages.safetensors        EMA / SWA averages of a 20-step weight trajectory
    clipping.safetensors        clip_grad_norm_ / clip_grad_value_ results
    averages-scheduled.safetensors  EMA averages whose decay follows a schedule (AveragedModel)
    hyper-schedules.safetensors stock optimizers whose hyperparameters change every step
                                (momentum / betas / weight_decay schedules, OneCycleLR with
                                cycle_momentum, inverse square root via LambdaLR)
    lbfgs.json                  torch.optim.LBFGS: every closure call of a few step() calls (lbfgs_golden.py)

See scripts/golden/README.md for the format and for every place where a golden value is
produced by torch tensor ops implementing a formula instead of a stock torch class.

Determinism: fixed seeds, float32 default dtype, one thread, and the portable ("default",
no-SIMD, no-FMA) ATen CPU kernels.  The latter is forced through ATEN_CPU_CAPABILITY, which
must be set before torch is imported: with the AVX2/AVX512 kernels torch fuses `a + alpha*b`
into an FMA (and the fused/unfused split depends on the host CPU), so the files would differ
between machines and could not be reproduced by plain float32 arithmetic (JS/WASM has no FMA).
"""

import os
import sys

# Must happen before `import torch` (read once, when ATen picks its CPU kernels).
os.environ["ATEN_CPU_CAPABILITY"] = "default"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import array  # noqa: E402
import bisect  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import struct  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:  # pragma: no cover
    sys.exit(
        "generate.py: cannot import torch. Run it with the Debian interpreter: "
        "`/usr/bin/python3 scripts/golden/generate.py` (apt-get install python3-torch)."
    )

from torch.optim import lr_scheduler as lrs  # noqa: E402
from torch.optim.optimizer import required as _REQUIRED  # noqa: E402
from torch.optim.swa_utils import AveragedModel  # noqa: E402

from lbfgs_golden import build_lbfgs  # noqa: E402

STEPS = 12
LENGTHS = (1, 7, 257, 3001)
SCHEDULE_STEPS = 40
AVG_STEPS = 20
AVG_LEN = 257

# ----------------------------------------------------------------------------------------
# environment checks


def check_environment():
    if not torch.__version__.startswith("1.13"):
        sys.exit(
            f"generate.py: expected PyTorch 1.13 (Debian python3-torch), got {torch.__version__}. "
            "The fixtures document 1.13 behaviour (e.g. the NAdam mu_product bug) and would change."
        )
    cfg = torch.__config__.show()
    cap = cfg.split("CPU capability usage: ")[1].split("\n")[0].strip() if "CPU capability usage: " in cfg else "?"
    if cap != "NO AVX":
        sys.exit(f"generate.py: ATen did not pick the portable kernels (capability {cap!r}); "
                 "ATEN_CPU_CAPABILITY=default must be set before torch is imported.")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(0)
    return cap


# ----------------------------------------------------------------------------------------
# safetensors writer


def _tensor_bytes(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.float32:
        code, dtype = "f", "F32"
    elif t.dtype == torch.float64:
        code, dtype = "d", "F64"
    else:
        raise TypeError(f"unsupported dtype {t.dtype}")
    a = array.array(code, t.tolist())  # tolist() gives exact Python floats
    if sys.byteorder != "little":
        a.byteswap()
    return dtype, a.tobytes()


def write_safetensors(path, tensors, metadata):
    """8-byte LE header length, JSON header padded with spaces to a multiple of 8, raw LE data.

    Tensor names are sorted; data is laid out in that order without gaps."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError("safetensors metadata must be str -> str")
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        dtype, b = _tensor_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((-len(hj)) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Minimal reader, used only to self-check the writer."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b0, b1 = info["data_offsets"]
        code = {"F32": "f", "F64": "d"}[info["dtype"]]
        a = array.array(code)
        a.frombytes(data[base + b0:base + b1])
        if sys.byteorder != "little":
            a.byteswap()
        dt = torch.float32 if code == "f" else torch.float64
        out[name] = torch.tensor(a.tolist(), dtype=dt).reshape(info["shape"])
    return header.get("__metadata__", {}), out


# ----------------------------------------------------------------------------------------
# 1. inputs


def make_inputs():
    """init: randn*0.5.  grads [STEPS, L]: per-element scale log-uniform in [1e-4, 1e2] (fixed per
    element) times randn per step; ~10% of entries zeroed per step; a few always-zero elements
    (L >= 7); at steps 2, 5, 8, 11 (every third step) half of the elements (ceil(L/2), a random
    subset) take exactly the negated gradient of the previous step."""
    inputs = {}
    for L in LENGTHS:
        gen = torch.Generator().manual_seed(20240 + L)
        init = (torch.randn(L, generator=gen, dtype=torch.float64) * 0.5).float()
        scale = torch.pow(10.0, torch.rand(L, generator=gen, dtype=torch.float64) * 6.0 - 4.0)
        n_always_zero = max(1, L // 100) if L >= 7 else 0
        always_zero = torch.randperm(L, generator=gen)[:n_always_zero]
        G = torch.zeros(STEPS, L, dtype=torch.float64)
        for k in range(STEPS):
            fresh = scale * torch.randn(L, generator=gen, dtype=torch.float64)
            zero = torch.rand(L, generator=gen, dtype=torch.float64) < 0.10
            fresh[zero] = 0.0
            if k % 3 == 2:
                flip = torch.zeros(L, dtype=torch.bool)
                flip[torch.randperm(L, generator=gen)[: (L + 1) // 2]] = True
                G[k] = torch.where(flip, -G[k - 1], fresh)
            else:
                G[k] = fresh
        if L < 10:
            # guarantee a zero on a non-always-zero element for the tiny lengths
            # (step 6 is not a flip step, step 7 is not one either)
            j = 0 if L == 1 else int([i for i in range(L) if i not in always_zero.tolist()][0])
            G[6, j] = 0.0
        G[:, always_zero] = 0.0
        grads = (G.float() + 0.0)  # + 0.0 turns -0.0 into +0.0
        # sanity: zeros, always-zero columns (L >= 7), sign flips with non-zero values
        assert (grads == 0).any(), L
        if L >= 7:
            assert ((grads == 0).all(dim=0)).sum().item() == n_always_zero, L
        flips = 0
        for k in range(2, STEPS, 3):
            flips += ((grads[k] == -grads[k - 1]) & (grads[k] != 0)).sum().item()
        assert flips > 0, L
        assert torch.isfinite(grads).all()
        inputs[L] = (init, grads)
    return inputs


def write_inputs(out, inputs):
    tensors = {}
    for L, (init, grads) in inputs.items():
        tensors[f"n{L}/init"] = init
        tensors[f"n{L}/grads"] = grads
    write_safetensors(out / "inputs.safetensors", tensors,
                      {"steps": str(STEPS), "lengths": json.dumps(list(LENGTHS), separators=(",", ":"))})


# ----------------------------------------------------------------------------------------
# 2. rules: formula implementations (torch tensor ops, mirroring torch's op order)
#
# Every formula runner returns {"weights": [..], slot: [..], scalar: [..]} with one entry per
# step.  Where a formula runner also covers stock behaviour, it is checked bit-for-bit against
# the stock torch optimizer below (see verify_formulas()).


def f_sgd(init, grads, h):
    """torch 1.13 _single_tensor_sgd, plus ema_momentum (not in torch):
    m starts at 0; every step m = m*beta + g'*(1-beta); d = m or (nesterov) m*beta + g'*(1-beta)."""
    p = init.clone()
    lr, mom, damp, wd = h["lr"], h["momentum"], h["dampening"], h["weight_decay"]
    nesterov, maximize, ema = h["nesterov"], h["maximize"], h["ema_momentum"]
    buf = torch.zeros_like(p) if ema else None
    out = {"weights": []}
    if mom != 0:
        out["momentum_buffer"] = []
    for k in range(STEPS):
        d_p = grads[k] if not maximize else -grads[k]
        if wd != 0:
            d_p = d_p.add(p, alpha=wd)
        if ema:
            buf.mul_(mom).add_(d_p, alpha=1 - mom)
            d_p = buf.mul(mom).add_(d_p, alpha=1 - mom) if nesterov else buf
        elif mom != 0:
            if buf is None:
                buf = torch.clone(d_p).detach()
            else:
                buf.mul_(mom).add_(d_p, alpha=1 - damp)
            d_p = d_p.add(buf, alpha=mom) if nesterov else buf
        p.add_(d_p, alpha=-lr)
        out["weights"].append(p.clone())
        if mom != 0:
            out["momentum_buffer"].append(buf.clone())
    return out


def f_adagrad(init, grads, h):
    """torch 1.13 _single_tensor_adagrad (dense), with eps_root inside the sqrt:
    std = sqrt(sum + eps_root) + eps."""
    p = init.clone()
    lr, lr_decay, wd, eps, eps_root = h["lr"], h["lr_decay"], h["weight_decay"], h["eps"], h["eps_root"]
    state_sum = torch.full_like(p, h["initial_accumulator_value"])
    step = 0.0
    out = {"weights": [], "sum": []}
    for k in range(STEPS):
        step += 1
        g = grads[k] if not h["maximize"] else -grads[k]
        if wd != 0:
            g = g.add(p, alpha=wd)
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum.addcmul_(g, g, value=1)
        std = (state_sum.add(eps_root) if eps_root != 0 else state_sum).sqrt().add_(eps)
        p.addcdiv_(g, std, value=-clr)
        out["weights"].append(p.clone())
        out["sum"].append(state_sum.clone())
    return out


def f_rmsprop(init, grads, h):
    """torch 1.13 _single_tensor_rmsprop, with eps_root inside the sqrt:
    avg = sqrt(square_avg [- grad_avg^2] + eps_root) + eps."""
    p = init.clone()
    lr, alpha, eps, wd, mom = h["lr"], h["alpha"], h["eps"], h["weight_decay"], h["momentum"]
    centered, eps_root = h["centered"], h["eps_root"]
    square_avg = torch.zeros_like(p)
    grad_avg = torch.zeros_like(p) if centered else None
    buf = torch.zeros_like(p) if mom > 0 else None
    out = {"weights": [], "square_avg": []}
    if centered:
        out["grad_avg"] = []
    if mom > 0:
        out["momentum_buffer"] = []
    for k in range(STEPS):
        g = grads[k] if not h["maximize"] else -grads[k]
        if wd != 0:
            g = g.add(p, alpha=wd)
        square_avg.mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if centered:
            grad_avg.mul_(alpha).add_(g, alpha=1 - alpha)
            avg = square_avg.addcmul(grad_avg, grad_avg, value=-1)
        else:
            avg = square_avg
        if eps_root != 0:
            avg = avg.add(eps_root)
        avg = avg.sqrt().add_(eps)
        if mom > 0:
            buf.mul_(mom).addcdiv_(g, avg)
            p.add_(buf, alpha=-lr)
        else:
            p.addcdiv_(g, avg, value=-lr)
        out["weights"].append(p.clone())
        out["square_avg"].append(square_avg.clone())
        if centered:
            out["grad_avg"].append(grad_avg.clone())
        if mom > 0:
            out["momentum_buffer"].append(buf.clone())
    return out


def f_adam(init, grads, h):
    """torch 1.13 _single_tensor_adam (non-capturable branch); with eps_root != 0, optax's
    convention: denom = sqrt(v / (1 - beta2^t) + eps_root) + eps  (v = max_exp_avg_sq if amsgrad)."""
    p = init.clone()
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    amsgrad, eps_root = h["amsgrad"], h["eps_root"]
    exp_avg, exp_avg_sq = torch.zeros_like(p), torch.zeros_like(p)
    max_exp_avg_sq = torch.zeros_like(p) if amsgrad else None
    step = 0.0
    out = {"weights": [], "exp_avg": [], "exp_avg_sq": []}
    if amsgrad:
        out["max_exp_avg_sq"] = []
    for k in range(STEPS):
        g = grads[k] if not h["maximize"] else -grads[k]
        step += 1
        if wd != 0:
            g = g.add(p, alpha=wd)
        exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(g, g.conj(), value=1 - beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = math.sqrt(bias_correction2)
        if amsgrad:
            torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            v = max_exp_avg_sq
        else:
            v = exp_avg_sq
        if eps_root != 0:
            # optax's convention: eps_root is added to the bias-corrected second moment.
            denom = v.div(bias_correction2).add_(eps_root).sqrt_().add_(eps)
        else:
            denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
        p.addcdiv_(exp_avg, denom, value=-step_size)
        out["weights"].append(p.clone())
        out["exp_avg"].append(exp_avg.clone())
        out["exp_avg_sq"].append(exp_avg_sq.clone())
        if amsgrad:
            out["max_exp_avg_sq"].append(max_exp_avg_sq.clone())
    return out


def f_nadam(init, grads, h, legacy=False):
    """legacy=False: torch >= 2.0 _single_tensor_nadam (non-differentiable, non-capturable branch,
    decoupled_weight_decay=False): exp_avg.lerp_(g, 1-beta1); mu_product_next = mu_product * mu_next.
    legacy=True: torch 1.13 _single_tensor_nadam (mul_/add_; mu_product_next = mu_product*mu*mu_next).
    mu_product is a float32 0-dim tensor in both (torch.tensor(1.) / _get_scalar_dtype())."""
    p = init.clone()
    lr, (beta1, beta2), eps, wd, md = h["lr"], h["betas"], h["eps"], h["weight_decay"], h["momentum_decay"]
    assert h["eps_root"] == 0
    exp_avg, exp_avg_sq = torch.zeros_like(p), torch.zeros_like(p)
    mu_product = torch.tensor(1.0, dtype=torch.float32)
    step = 0.0
    out = {"weights": [], "exp_avg": [], "exp_avg_sq": [], "mu_product": []}
    for k in range(STEPS):
        g = grads[k]
        step += 1
        bias_correction2 = 1 - beta2 ** step
        if wd != 0:
            g = g.add(p, alpha=wd)
        mu = beta1 * (1. - 0.5 * (0.96 ** (step * md)))
        mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * md)))
        mu_product *= mu
        if legacy:
            mu_product_next = mu_product * mu * mu_next
            exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
            p.addcdiv_(g, denom, value=-lr * (1. - mu) / (1. - mu_product.item()))
            p.addcdiv_(exp_avg, denom, value=-lr * mu_next / (1. - mu_product_next.item()))
        else:
            exp_avg.lerp_(g, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = exp_avg_sq.div(bias_correction2).sqrt()
            mu_product_next = mu_product.item() * mu_next
            denom.add_(eps)
            p.addcdiv_(g, denom, value=(-lr * (1. - mu) / (1. - mu_product.item())))
            p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1. - mu_product_next))
        out["weights"].append(p.clone())
        out["exp_avg"].append(exp_avg.clone())
        out["exp_avg_sq"].append(exp_avg_sq.clone())
        out["mu_product"].append(mu_product.item())
    return out


def f_yogi(init, grads, h):
    """Yogi (Zaheer et al. 2018, Alg. 2; optax scale_by_yogi update rule for v), no bias correction:
    g' = g (+ g.add(w, alpha=wd));  m = m*b1 + g'*(1-b1)  (m0 = 0)
    v = v + (-(1-b2)*sign(v - g'*g')) * (g'*g')          (v0 = initial_accumulator_value)
    w = w + (-lr*m) / (sqrt(v + eps_root) + eps)"""
    p = init.clone()
    lr, (beta1, beta2), eps, eps_root, wd = h["lr"], h["betas"], h["eps"], h["eps_root"], h["weight_decay"]
    exp_avg = torch.zeros_like(p)
    exp_avg_sq = torch.full_like(p, h["initial_accumulator_value"])
    out = {"weights": [], "exp_avg": [], "exp_avg_sq": []}
    for k in range(STEPS):
        g = grads[k]
        if wd != 0:
            g = g.add(p, alpha=wd)
        exp_avg.mul_(beta1).add_(g, alpha=1 - beta1)
        g2 = g * g
        exp_avg_sq.addcmul_(torch.sign(exp_avg_sq - g2), g2, value=-(1 - beta2))
        v = exp_avg_sq.add(eps_root) if eps_root != 0 else exp_avg_sq
        denom = v.sqrt().add_(eps)
        p.addcdiv_(exp_avg, denom, value=-lr)
        out["weights"].append(p.clone())
        out["exp_avg"].append(exp_avg.clone())
        out["exp_avg_sq"].append(exp_avg_sq.clone())
    return out


# ----------------------------------------------------------------------------------------
# 2. rules: stock torch runner, hyperparameters, cases

TORCH_CLASSES = {
    "sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
    "adamax": torch.optim.Adamax, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam,
    "rprop": torch.optim.Rprop, "asgd": torch.optim.ASGD,
}
IMPL_SWITCHES = {"self", "params", "foreach", "capturable", "differentiable", "fused"}
SQRT_RULES = {"adagrad", "rmsprop", "adam", "adamw", "nadam", "radam", "yogi"}
YOGI_DEFAULTS = {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-3, "eps_root": 0.0,
                 "initial_accumulator_value": 1e-6, "weight_decay": 0.0}
# hyperparameters that torch's constructor does not know about
EXTRA_HYPER = {"eps_root", "ema_momentum"}


def torch_defaults(rule):
    sig = inspect.signature(TORCH_CLASSES[rule].__init__)
    d = {}
    for name, prm in sig.parameters.items():
        if name in IMPL_SWITCHES or prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
            continue
        v = prm.default
        if v is inspect.Parameter.empty or v is _REQUIRED:
            v = None
        if isinstance(v, tuple):
            v = list(v)
        d[name] = v
    return d


def full_hyper(rule, given):
    if rule == "yogi":
        h = dict(YOGI_DEFAULTS)
    else:
        h = torch_defaults(rule)
        if rule in SQRT_RULES:
            h["eps_root"] = 0.0
        if rule == "sgd":
            h["ema_momentum"] = False
    for k, v in given.items():
        if k not in h:
            raise KeyError(f"{rule}: unknown hyperparameter {k}")
        h[k] = list(v) if isinstance(v, tuple) else v
    # floats stay floats in the JSON (0 -> 0.0) so readers see consistent types
    for k, v in h.items():
        if isinstance(v, int) and not isinstance(v, bool):
            h[k] = float(v)
        if isinstance(v, list):
            h[k] = [float(x) for x in v]
    if h.get("lr") is None:
        raise ValueError(f"{rule}: lr required")
    return h


def run_stock(rule, h, init, grads, slots, scalars):
    cls = TORCH_CLASSES[rule]
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in h.items() if k not in EXTRA_HYPER}
    if "foreach" in inspect.signature(cls.__init__).parameters:
        kw["foreach"] = False
    p = torch.nn.Parameter(init.clone())
    opt = cls([p], **kw)
    out = {"weights": []}
    for s in slots + scalars:
        out[s] = []
    for k in range(STEPS):
        p.grad = grads[k].clone()
        opt.step()
        st = opt.state[p]
        present = sorted(key for key, v in st.items() if v is not None and key != "step")
        assert present == sorted(slots + scalars), (rule, present, slots, scalars)
        out["weights"].append(p.detach().clone())
        for s in slots:
            out[s].append(st[s].detach().clone())
        for s in scalars:
            out[s].append(float(st[s]))
    return out


def expected_slots(rule, h):
    if rule == "sgd":
        return (["momentum_buffer"] if h["momentum"] > 0 else []), []
    if rule == "adagrad":
        return ["sum"], []
    if rule == "rmsprop":
        return (["square_avg"] + (["grad_avg"] if h["centered"] else [])
                + (["momentum_buffer"] if h["momentum"] > 0 else [])), []
    if rule == "adadelta":
        return ["square_avg", "acc_delta"], []
    if rule in ("adam", "adamw"):
        return ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if h["amsgrad"] else []), []
    if rule == "adamax":
        return ["exp_avg", "exp_inf"], []
    if rule == "nadam":
        return ["exp_avg", "exp_avg_sq"], ["mu_product"]
    if rule in ("radam", "yogi"):
        return ["exp_avg", "exp_avg_sq"], []
    if rule == "rprop":
        return ["prev", "step_size"], []
    if rule == "asgd":
        return ["ax"], ["eta", "mu"]
    raise KeyError(rule)


NADAM_REF = ("formula: torch>=2.0 _single_tensor_nadam (mu_product_next = mu_product*mu_next, "
             "exp_avg.lerp_), L2 weight decay; torch 1.13 NAdam applies mu twice")

# (rule, id, given hyper, runner)  runner: "stock" or (formula_fn, reference description)
CASES = [
    ("sgd", "plain", {"lr": 0.1}, "stock"),
    ("sgd", "momentum", {"lr": 0.05, "momentum": 0.9}, "stock"),
    ("sgd", "dampening_wd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, "stock"),
    ("sgd", "nesterov", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}, "stock"),
    ("sgd", "maximize", {"lr": 0.05, "momentum": 0.5, "maximize": True}, "stock"),
    ("sgd", "ema_momentum", {"lr": 0.1, "momentum": 0.9, "ema_momentum": True},
     (f_sgd, "formula: EMA momentum m = beta*m + (1-beta)*g (m0 = 0), w -= lr*m")),
    ("sgd", "ema_nesterov", {"lr": 0.1, "momentum": 0.9, "ema_momentum": True, "nesterov": True},
     (f_sgd, "formula: EMA momentum m = beta*m + (1-beta)*g (m0 = 0), w -= lr*(beta*m + (1-beta)*g)")),
    ("adagrad", "default", {"lr": 0.01}, "stock"),
    ("adagrad", "decay_init", {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                               "weight_decay": 0.01}, "stock"),
    ("adagrad", "eps_root", {"lr": 0.05, "eps": 0.0, "eps_root": 1e-8},
     (f_adagrad, "formula: torch.optim.Adagrad op order with std = sqrt(sum + eps_root) + eps")),
    ("adagrad", "maximize", {"lr": 0.05, "maximize": True}, "stock"),
    ("rmsprop", "default", {"lr": 0.01}, "stock"),
    ("rmsprop", "centered", {"lr": 0.01, "centered": True, "weight_decay": 0.01}, "stock"),
    ("rmsprop", "momentum", {"lr": 0.01, "momentum": 0.9}, "stock"),
    ("rmsprop", "centered_momentum", {"lr": 0.005, "alpha": 0.9, "centered": True, "momentum": 0.5}, "stock"),
    ("rmsprop", "eps_root", {"lr": 0.01, "eps": 0.0, "eps_root": 1e-8},
     (f_rmsprop, "formula: torch.optim.RMSprop op order with avg = sqrt(square_avg + eps_root) + eps")),
    ("adadelta", "default", {"lr": 1.0}, "stock"),
    ("adadelta", "wd", {"lr": 0.5, "rho": 0.95, "eps": 1e-6, "weight_decay": 0.01}, "stock"),
    ("adadelta", "maximize", {"lr": 1.0, "maximize": True}, "stock"),
    ("adam", "default", {"lr": 1e-3}, "stock"),
    ("adam", "amsgrad", {"lr": 1e-2, "amsgrad": True}, "stock"),
    ("adam", "wd_l2", {"lr": 1e-2, "weight_decay": 0.01, "betas": (0.8, 0.99)}, "stock"),
    ("adam", "maximize", {"lr": 1e-3, "maximize": True}, "stock"),
    ("adam", "eps_root", {"lr": 1e-2, "eps": 0.0, "eps_root": 1e-16},
     (f_adam, "formula: torch.optim.Adam op order with denom = sqrt(exp_avg_sq/(1-beta2^t) + eps_root) + eps")),
    ("adamw", "default", {"lr": 1e-3}, "stock"),
    ("adamw", "amsgrad_wd", {"lr": 1e-2, "weight_decay": 0.1, "amsgrad": True}, "stock"),
    ("adamax", "default", {"lr": 2e-3}, "stock"),
    ("adamax", "wd", {"lr": 1e-2, "weight_decay": 0.01, "betas": (0.8, 0.99)}, "stock"),
    ("nadam", "default", {"lr": 2e-3}, (f_nadam, NADAM_REF)),
    ("nadam", "wd_decay", {"lr": 1e-2, "weight_decay": 0.01, "momentum_decay": 8e-3}, (f_nadam, NADAM_REF)),
    ("radam", "default", {"lr": 1e-3}, "stock"),
    ("radam", "wd", {"lr": 1e-2, "weight_decay": 0.01, "betas": (0.9, 0.99)}, "stock"),
    ("yogi", "default", {}, (f_yogi, "formula: Yogi (Zaheer et al. 2018) / optax scale_by_yogi v-update, "
                                     "no bias correction, m0 = 0, v0 = initial_accumulator_value")),
    ("yogi", "wd", {"lr": 0.05, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
     (f_yogi, "formula: Yogi (Zaheer et al. 2018) / optax scale_by_yogi v-update, "
              "no bias correction, m0 = 0, v0 = initial_accumulator_value, L2 weight decay")),
    ("rprop", "default", {"lr": 1e-2}, "stock"),
    ("rprop", "bounded_maximize", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2), "maximize": True}, "stock"),
    ("asgd", "default", {"lr": 1e-2}, "stock"),
    ("asgd", "averaging", {"lr": 0.05, "lambd": 1e-2, "alpha": 0.5, "t0": 3.0}, "stock"),
    ("asgd", "wd_maximize", {"lr": 0.02, "lambd": 1e-3, "t0": 5.0, "weight_decay": 0.01, "maximize": True}, "stock"),
]

FORMULA_FOR_STOCK = {"sgd": f_sgd, "adagrad": f_adagrad, "rmsprop": f_rmsprop, "adam": f_adam}


def same(a, b):
    """bitwise equality of two lists of tensors / floats (treats -0.0 and +0.0 as different)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, float):
            if struct.pack("<d", x) != struct.pack("<d", y):
                return False
        elif not torch.equal(x.view(torch.int32), y.view(torch.int32)):
            return False
    return True


def verify_formulas(inputs):
    """The formula runners must reproduce the stock optimizers bit-for-bit where they overlap."""
    report = []
    for rule, cid, given, runner in CASES:
        if runner != "stock" or rule not in FORMULA_FOR_STOCK:
            continue
        h = full_hyper(rule, given)
        slots, scalars = expected_slots(rule, h)
        for L, (init, grads) in inputs.items():
            a = run_stock(rule, h, init, grads, slots, scalars)
            b = FORMULA_FOR_STOCK[rule](init, grads, h)
            assert set(a) == set(b), (rule, cid, set(a), set(b))
            for key in a:
                assert same(a[key], b[key]), f"formula {rule} != stock for case {cid} n{L} ({key})"
        report.append(f"{rule}/{cid}")
    # adagrad / rmsprop / adam eps_root formulas with eps_root = 0 and eps > 0 == stock
    for rule, given in (("adagrad", {"lr": 0.05}), ("rmsprop", {"lr": 0.01, "centered": True}),
                        ("adam", {"lr": 1e-2})):
        h = full_hyper(rule, given)
        slots, scalars = expected_slots(rule, h)
        for L, (init, grads) in inputs.items():
            a = run_stock(rule, h, init, grads, slots, scalars)
            b = FORMULA_FOR_STOCK[rule](init, grads, h)
            for key in a:
                assert same(a[key], b[key]), (rule, L, key)
    # NAdam: the legacy formula reproduces stock 1.13 exactly; the modern one differs from it.
    for given in ({"lr": 2e-3}, {"lr": 1e-2, "weight_decay": 0.01, "momentum_decay": 8e-3}):
        h = full_hyper("nadam", given)
        for L, (init, grads) in inputs.items():
            stock = run_stock("nadam", h, init, grads, ["exp_avg", "exp_avg_sq"], ["mu_product"])
            legacy = f_nadam(init, grads, h, legacy=True)
            modern = f_nadam(init, grads, h, legacy=False)
            for key in stock:
                assert same(stock[key], legacy[key]), ("nadam legacy != stock 1.13", L, key)
            assert not same(stock["weights"], modern["weights"]), ("nadam: modern == stock 1.13?", L)
            # mu_product itself is identical (only mu_product_next differs); the weights are not
            assert same(stock["mu_product"], modern["mu_product"])
    return report


def radam_rho(h):
    beta2 = h["betas"][1]
    rho_inf = 2 / (1 - beta2) - 1
    out = []
    for step in range(1, STEPS + 1):
        bc2 = 1 - beta2 ** step
        out.append(rho_inf - 2 * step * (beta2 ** step) / bc2)
    return out


def build_rules(out, inputs):
    per_rule = {}
    for rule, cid, given, runner in CASES:
        per_rule.setdefault(rule, []).append((cid, given, runner))
    summary = {}
    for rule, cases in per_rule.items():
        tensors, meta_cases = {}, []
        ids = [c[0] for c in cases]
        assert len(ids) == len(set(ids)), rule
        for cid, given, runner in cases:
            h = full_hyper(rule, given)
            slots, scalars = expected_slots(rule, h)
            if runner == "stock":
                ref = f"torch.optim.{TORCH_CLASSES[rule].__name__}"
            else:
                ref = runner[1]
            if rule == "radam":
                rho = radam_rho(h)
                assert any(r <= 5 for r in rho) and any(r > 5 for r in rho), (cid, rho)
            for L, (init, grads) in inputs.items():
                if runner == "stock":
                    res = run_stock(rule, h, init, grads, slots, scalars)
                else:
                    res = runner[0](init, grads, h)
                assert set(res) == set(["weights"] + slots + scalars), (rule, cid, set(res))
                for key in ["weights"] + slots:
                    t = torch.stack(res[key])
                    assert t.dtype == torch.float32 and t.shape == (STEPS, L)
                    assert torch.isfinite(t).all(), (rule, cid, L, key)
                    tensors[f"{cid}/n{L}/{key}"] = t
                for key in scalars:
                    tensors[f"{cid}/n{L}/{key}"] = torch.tensor(res[key], dtype=torch.float64)
            meta_cases.append({"id": cid, "rule": rule, "hyper": h, "slots": slots,
                               "scalars": scalars, "reference": ref})
        write_safetensors(out / "rules" / f"{rule}.safetensors", tensors, {
            "cases": json.dumps(meta_cases, separators=(",", ":")),
            "steps": str(STEPS),
            "lengths": json.dumps(list(LENGTHS), separators=(",", ":")),
            "torch": torch.__version__,
            "aten_cpu_capability": "default",
        })
        summary[rule] = [c["id"] for c in meta_cases]
    return summary


# ----------------------------------------------------------------------------------------
# 3. schedules

BASE_LR = 0.1


def fill_schedule(cfg):
    """Fill every parameter of a schedule config with its default (torch's, except ConstantLR,
    whose defaults in our config are factor 1.0, total_iters 0)."""
    t = cfg["type"]
    defaults = {
        "constant": {"factor": 1.0, "total_iters": 0},
        "step": {"step_size": None, "gamma": 0.1},
        "multistep": {"milestones": None, "gamma": 0.1},
        "exponential": {"gamma": None},
        "inverse_time": {"decay_rate": None},
        "cosine": {"T_max": None, "eta_min": 0.0},
        "cosine_restarts": {"T_0": None, "T_mult": 1, "eta_min": 0.0},
        "linear": {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
        "polynomial": {"total_iters": 5, "power": 1.0},
        "one_cycle": {"max_lr": None, "total_steps": None, "pct_start": 0.3, "anneal_strategy": "cos",
                      "div_factor": 25.0, "final_div_factor": 1e4, "three_phase": False},
        "plateau": {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4,
                    "threshold_mode": "rel", "cooldown": 0, "min_lr": 0.0, "eps": 1e-8},
    }
    if t == "sequence":
        return {"type": t, "schedules": [fill_schedule(s) for s in cfg["schedules"]],
                "milestones": list(cfg["milestones"])}
    out = {"type": t}
    for k, v in defaults[t].items():
        val = cfg.get(k, v)
        if val is None:
            raise KeyError(f"{t}: {k} required")
        out[k] = val
    extra = set(cfg) - set(out)
    assert not extra, (t, extra)
    return out


def make_scheduler(opt, c):
    t = c["type"]
    if t == "constant":
        return lrs.ConstantLR(opt, factor=c["factor"], total_iters=c["total_iters"])
    if t == "step":
        return lrs.StepLR(opt, step_size=c["step_size"], gamma=c["gamma"])
    if t == "multistep":
        return lrs.MultiStepLR(opt, milestones=c["milestones"], gamma=c["gamma"])
    if t == "exponential":
        return lrs.ExponentialLR(opt, gamma=c["gamma"])
    if t == "inverse_time":
        dr = c["decay_rate"]
        return lrs.LambdaLR(opt, lr_lambda=lambda step: 1.0 / (1.0 + dr * step))
    if t == "cosine":
        return lrs.CosineAnnealingLR(opt, T_max=c["T_max"], eta_min=c["eta_min"])
    if t == "cosine_restarts":
        return lrs.CosineAnnealingWarmRestarts(opt, T_0=c["T_0"], T_mult=c["T_mult"], eta_min=c["eta_min"])
    if t == "linear":
        return lrs.LinearLR(opt, start_factor=c["start_factor"], end_factor=c["end_factor"],
                            total_iters=c["total_iters"])
    if t == "polynomial":
        return lrs.PolynomialLR(opt, total_iters=c["total_iters"], power=c["power"])
    if t == "one_cycle":
        return lrs.OneCycleLR(opt, max_lr=c["max_lr"], total_steps=c["total_steps"], pct_start=c["pct_start"],
                              anneal_strategy=c["anneal_strategy"], cycle_momentum=False,
                              div_factor=c["div_factor"], final_div_factor=c["final_div_factor"],
                              three_phase=c["three_phase"])
    if t == "sequence":
        subs = [make_scheduler(opt, s) for s in c["schedules"]]
        return lrs.SequentialLR(opt, schedulers=subs, milestones=c["milestones"])
    raise KeyError(t)


def _fresh_opt(base_lr):
    p = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([p], lr=base_lr)


def torch_lrs(cfg, base_lr, n=SCHEDULE_STEPS):
    opt = _fresh_opt(base_lr)
    sch = make_scheduler(opt, cfg)
    out = []
    for _ in range(n):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sch.step()
    return out


def sequence_closed_form_lrs(cfg, base_lr, n=SCHEDULE_STEPS):
    """Our semantics: lr(t) = schedules[i](t - milestones[i-1]), i = #milestones <= t, each
    sub-schedule evaluated by its own fresh torch scheduler on its own fresh optimizer."""
    subs = [torch_lrs(s, base_lr, n) for s in cfg["schedules"]]
    ms = cfg["milestones"]
    out = []
    for t in range(n):
        i = bisect.bisect_right(ms, t)
        start = ms[i - 1] if i > 0 else 0
        out.append(subs[i][t - start])
    return out


def plateau_lrs(c, base_lr, metrics):
    opt = _fresh_opt(base_lr)
    sch = lrs.ReduceLROnPlateau(opt, mode=c["mode"], factor=c["factor"], patience=c["patience"],
                                threshold=c["threshold"], threshold_mode=c["threshold_mode"],
                                cooldown=c["cooldown"], min_lr=c["min_lr"], eps=c["eps"])
    out = []
    for m in metrics:
        opt.step()
        sch.step(m)
        out.append(float(opt.param_groups[0]["lr"]))
    return out


def plateau_metrics(seed, increasing):
    """A loss-like sequence: short descents separated by long noisy plateaus (values on a plateau
    jitter just above its level, with the odd tiny 'improvement' near the start)."""
    gen = torch.Generator().manual_seed(seed)
    noise = (torch.rand(SCHEDULE_STEPS, generator=gen, dtype=torch.float64) - 0.5).tolist()
    # (length, slope) segments; slope 0 = plateau
    segments = [(4, -0.08), (13, 0.0), (3, -0.05), (20, 0.0)]
    vals, level, t = [], 1.0, 0
    for length, slope in segments:
        for _ in range(length):
            level += slope
            if slope == 0:
                vals.append(level + 0.0005 + 0.003 * abs(noise[t]))
            else:
                vals.append(level + 0.01 * noise[t])
            t += 1
    assert len(vals) == SCHEDULE_STEPS
    if increasing:
        vals = [1.5 - v for v in vals]
    return [float(round(v, 6)) for v in vals]


def closed_form(c, base_lr, t):
    """Textbook closed forms (float64), used only to report how far torch's chained form drifts."""
    ty = c["type"]
    if ty == "constant":
        return base_lr * (c["factor"] if t < c["total_iters"] else 1.0)
    if ty == "step":
        return base_lr * c["gamma"] ** (t // c["step_size"])
    if ty == "multistep":
        return base_lr * c["gamma"] ** bisect.bisect_right(sorted(c["milestones"]), t)
    if ty == "exponential":
        return base_lr * c["gamma"] ** t
    if ty == "inverse_time":
        return base_lr / (1.0 + c["decay_rate"] * t)
    if ty == "cosine":
        return c["eta_min"] + (base_lr - c["eta_min"]) * (1 + math.cos(math.pi * t / c["T_max"])) / 2
    if ty == "cosine_restarts":
        T_i, T_cur = c["T_0"], t
        while T_cur >= T_i:
            T_cur -= T_i
            T_i *= c["T_mult"]
        return c["eta_min"] + (base_lr - c["eta_min"]) * (1 + math.cos(math.pi * T_cur / T_i)) / 2
    if ty == "linear":
        k = min(t, c["total_iters"]) / c["total_iters"]
        return base_lr * (c["start_factor"] + (c["end_factor"] - c["start_factor"]) * k)
    if ty == "polynomial":
        return base_lr * (1.0 - min(t, c["total_iters"]) / c["total_iters"]) ** c["power"]
    if ty == "sequence":
        ms = c["milestones"]
        i = bisect.bisect_right(ms, t)
        return closed_form(c["schedules"][i], base_lr, t - (ms[i - 1] if i > 0 else 0))
    return None


SCHEDULES = [
    ("constant", {"type": "constant"}),
    ("constant_warm", {"type": "constant", "factor": 0.5, "total_iters": 4}),
    ("step", {"type": "step", "step_size": 7, "gamma": 0.5}),
    ("multistep", {"type": "multistep", "milestones": [3, 10, 25], "gamma": 0.3}),
    ("exponential", {"type": "exponential", "gamma": 0.9}),
    ("inverse_time", {"type": "inverse_time", "decay_rate": 0.5}),
    ("cosine", {"type": "cosine", "T_max": 15, "eta_min": 0.001}),
    ("cosine_restarts_mult2", {"type": "cosine_restarts", "T_0": 5, "T_mult": 2, "eta_min": 0.0001}),
    ("cosine_restarts_mult1", {"type": "cosine_restarts", "T_0": 7, "T_mult": 1, "eta_min": 0.0001}),
    ("linear_warmup", {"type": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}),
    ("polynomial", {"type": "polynomial", "total_iters": 20, "power": 2.0}),
    ("one_cycle_cos", {"type": "one_cycle", "max_lr": 0.1, "total_steps": 40, "pct_start": 0.3,
                       "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 10000.0,
                       "three_phase": False}),
    ("one_cycle_linear_3phase", {"type": "one_cycle", "max_lr": 0.1, "total_steps": 40, "pct_start": 0.3,
                                 "anneal_strategy": "linear", "div_factor": 25.0, "final_div_factor": 10000.0,
                                 "three_phase": True}),
    ("sequence_warmup_cosine", {"type": "sequence", "schedules": [
        {"type": "linear", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 5},
        {"type": "cosine", "T_max": 30, "eta_min": 0.0}], "milestones": [5]}),
    ("sequence_3part", {"type": "sequence", "schedules": [
        {"type": "linear", "start_factor": 0.2, "end_factor": 1.0, "total_iters": 4},
        {"type": "exponential", "gamma": 0.9},
        {"type": "cosine", "T_max": 20, "eta_min": 0.001}], "milestones": [6, 16]}),
    ("plateau_min_rel", {"type": "plateau", "mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-4,
                         "threshold_mode": "rel", "cooldown": 1, "min_lr": 0.001, "eps": 1e-8}),
    ("plateau_max_abs", {"type": "plateau", "mode": "max", "factor": 0.3, "patience": 3, "threshold": 0.01,
                         "threshold_mode": "abs", "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}),
]


def build_schedules(out):
    cases, notes = [], {}
    for cid, cfg in SCHEDULES:
        c = fill_schedule(cfg)
        case = {"id": cid, "schedule": c, "base_lr": BASE_LR}
        if c["type"] == "plateau":
            metrics = plateau_metrics(7 + len(cases), increasing=(c["mode"] == "max"))
            case["metrics"] = metrics
            case["lrs"] = plateau_lrs(c, BASE_LR, metrics)
            notes[cid] = {"reductions": sum(1 for a, b in zip([BASE_LR] + case["lrs"], case["lrs"]) if b != a)}
        elif c["type"] == "sequence":
            seq = torch_lrs(c, BASE_LR)
            ref = sequence_closed_form_lrs(c, BASE_LR)
            diff = [(t, a, b) for t, (a, b) in enumerate(zip(seq, ref)) if a != b]
            notes[cid] = {"sequentiallr_equals_semantics": not diff, "differences": diff}
            case["lrs"] = ref  # golden = our semantics (identical to SequentialLR when diff is empty)
        else:
            case["lrs"] = torch_lrs(c, BASE_LR)
        assert len(case["lrs"]) == SCHEDULE_STEPS and all(isinstance(x, float) for x in case["lrs"])
        cf = [closed_form(c, BASE_LR, t) for t in range(SCHEDULE_STEPS)]
        if cf[0] is not None:
            rel = [abs(a - b) / abs(b) if b else abs(a) for a, b in zip(case["lrs"], cf)]
            n_exact = sum(1 for a, b in zip(case["lrs"], cf) if a == b)
            notes.setdefault(cid, {}).update({"closed_form_max_rel_diff": max(rel),
                                              "closed_form_bitwise_equal": n_exact})
        cases.append(case)
    text = json.dumps(cases, indent=1) + "\n"
    (out / "schedules.json").write_text(text, encoding="utf-8")
    return notes


# ----------------------------------------------------------------------------------------
# 4. averages


class _Vec(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w.clone())


def build_averages(out):
    gen = torch.Generator().manual_seed(4242)
    init = (torch.randn(AVG_LEN, generator=gen, dtype=torch.float64)).float()
    a = torch.pow(10.0, torch.rand(AVG_LEN, generator=gen, dtype=torch.float64) * 2 - 1).float()  # [0.1, 10]
    c = (torch.randn(AVG_LEN, generator=gen, dtype=torch.float64) * 2).float()
    noise = (torch.randn(AVG_STEPS, AVG_LEN, generator=gen, dtype=torch.float64) * 0.3).float()
    model = _Vec(init)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5, foreach=False)
    specs = [("ema_0.9", {"kind": "ema", "decay": 0.9}), ("ema_0.999", {"kind": "ema", "decay": 0.999}),
             ("swa_start0", {"kind": "swa", "start": 0}), ("swa_start5", {"kind": "swa", "start": 5})]
    avgs = {}
    for cid, s in specs:
        if s["kind"] == "ema":
            d = s["decay"]
            avgs[cid] = AveragedModel(model, avg_fn=lambda avg, p, n, d=d: d * avg + (1 - d) * p)
        else:
            avgs[cid] = AveragedModel(model)
    traj = []
    rec = {cid: [] for cid, _ in specs}
    for t in range(AVG_STEPS):
        opt.zero_grad(set_to_none=True)
        w = model.w
        loss = 0.5 * (a * (w - c) ** 2).sum() + (noise[t] * w).sum()
        loss.backward()
        opt.step()
        traj.append(model.w.detach().clone())
        for cid, s in specs:
            if s["kind"] == "ema" or t >= s["start"]:
                avgs[cid].update_parameters(model)
            rec[cid].append(avgs[cid].module.w.detach().clone())
    tensors = {"initial": init, "trajectory": torch.stack(traj)}
    for cid, _ in specs:
        tensors[cid] = torch.stack(rec[cid])
        assert torch.isfinite(tensors[cid]).all()
    meta = [{"id": cid, **s} for cid, s in specs]
    write_safetensors(out / "averages.safetensors", tensors, {
        "cases": json.dumps(meta, separators=(",", ":")), "steps": str(AVG_STEPS),
        "torch": torch.__version__, "aten_cpu_capability": "default"})


# ----------------------------------------------------------------------------------------
# 5. clipping


def build_clipping(out):
    gen = torch.Generator().manual_seed(777)
    shapes = [257, 7, 1]
    gs = []
    for n in shapes:
        scale = torch.pow(10.0, torch.rand(n, generator=gen, dtype=torch.float64) * 4 - 3)  # [1e-3, 10]
        g = (scale * torch.randn(n, generator=gen, dtype=torch.float64)).float()
        gs.append(g)
    gs[0][5] = 0.0  # a zero
    gs[2][0] = -25.0  # the length-1 vector holds the inf-norm (as a negative value)
    specs = [
        ("norm2_1", {"kind": "norm", "max_norm": 1.0, "norm_type": 2.0}),
        ("inf_0p5", {"kind": "norm", "max_norm": 0.5, "norm_type": "inf"}),
        ("noop_1e6", {"kind": "norm", "max_norm": 1e6, "norm_type": 2.0}),
        ("value_0p01", {"kind": "value", "clip_value": 0.01}),
    ]
    tensors = {}
    for i, g in enumerate(gs):
        tensors[f"input/g{i}"] = g.clone()
    for cid, s in specs:
        params = [torch.nn.Parameter(torch.zeros(n)) for n in shapes]
        for p, g in zip(params, gs):
            p.grad = g.clone()
        if s["kind"] == "norm":
            nt = float("inf") if s["norm_type"] == "inf" else s["norm_type"]
            total = torch.nn.utils.clip_grad_norm_(params, max_norm=s["max_norm"], norm_type=nt)
            tensors[f"{cid}/total_norm"] = total.detach().reshape(1).double()
            if cid == "noop_1e6":
                assert all(torch.equal(p.grad, g) for p, g in zip(params, gs))
            else:
                assert float(total) > s["max_norm"], (cid, float(total))
        else:
            torch.nn.utils.clip_grad_value_(params, clip_value=s["clip_value"])
        for i, p in enumerate(params):
            tensors[f"{cid}/g{i}"] = p.grad.detach().clone()
    meta = [{"id": cid, **s, "has_total_norm": s["kind"] == "norm"} for cid, s in specs]
    write_safetensors(out / "clipping.safetensors", tensors, {
        "cases": json.dumps(meta, separators=(",", ":")), "torch": torch.__version__,
        "aten_cpu_capability": "default"})


# ----------------------------------------------------------------------------------------
# 6. schedules of hyperparameters
#
# A stock torch optimizer whose param group's hyperparameters are set before every step, as a
# LambdaLR-like rule would set them (schedules of momentum, betas, weight_decay), or by
# OneCycleLR itself (cycle_momentum). Each value is computed with the operations shardstep uses
# (src/optim/schedules), in float64.


def _linear(base, s, e, total):
    return lambda t: base * (s + ((e - s) * min(total, t)) / total)


def _half_cosine(base, eta, total):
    return lambda t: eta + ((base - eta) * (1 + math.cos(math.pi * (t / total)))) / 2


def _inverse_sqrt(base, warmup):
    w = max(1, warmup)
    return lambda t: base * (t + 1) / w if t + 1 < w else base * math.sqrt(w / (t + 1))


def _gap(base, start, length):
    """sequence [constant(factor 1, total_iters 0), constant(factor 0, total_iters length)] at milestone start."""
    return lambda t: base if t < start or t - start >= length else base * 0


def _step(base, size, gamma):
    return lambda t: base * gamma ** math.floor(t / size)


CONSTANT_1 = {"type": "constant", "factor": 1, "total_iters": 0}

# (id, rule, hyper as configured, lr schedule (shardstep config) or None, torch lr scheduler
#  factory or None, {path: (shardstep schedule, value function of the configured value)})
HYPER_SCHEDULE_CASES = [
    ("sgd_momentum_linear", "sgd", {"lr": 0.05, "momentum": 0.9}, None, None,
     {"momentum": ({"type": "linear", "start_factor": 0.5, "end_factor": 1, "total_iters": 8},
                   lambda b: _linear(b, 0.5, 1, 8))}),
    ("sgd_nesterov_momentum_gap", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None, None,
     {"momentum": ({"type": "sequence", "schedules": [CONSTANT_1, {"type": "constant", "factor": 0, "total_iters": 3}],
                    "milestones": [4]}, lambda b: _gap(b, 4, 3))}),
    ("sgd_weight_decay_cosine", "sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.05}, None, None,
     {"weight_decay": ({"type": "cosine", "T_max": 12, "eta_min": 0}, lambda b: _half_cosine(b, 0.0, 12))}),
    ("adamw_weight_decay_step_beta2_linear", "adamw", {"lr": 0.01, "weight_decay": 0.1}, None, None,
     {"weight_decay": ({"type": "step", "step_size": 4, "gamma": 0.5}, lambda b: _step(b, 4, 0.5)),
      "betas.1": ({"type": "linear", "start_factor": 0.9, "end_factor": 1, "total_iters": 10},
                  lambda b: _linear(b, 0.9, 1, 10))}),
    ("sgd_one_cycle", "sgd", {"lr": 0.1}, {"type": "one_cycle", "max_lr": 0.1, "total_steps": 12},
     lambda opt: lrs.OneCycleLR(opt, max_lr=0.1, total_steps=12), {}),
    ("rmsprop_one_cycle", "rmsprop", {"lr": 0.01}, {"type": "one_cycle", "max_lr": 0.01, "total_steps": 12, "pct_start": 0.5},
     lambda opt: lrs.OneCycleLR(opt, max_lr=0.01, total_steps=12, pct_start=0.5), {}),
    ("adam_one_cycle_three_phase", "adam", {"lr": 0.001},
     {"type": "one_cycle", "max_lr": 0.01, "total_steps": 12, "three_phase": True, "anneal_strategy": "linear",
      "base_momentum": 0.8, "max_momentum": 0.9},
     lambda opt: lrs.OneCycleLR(opt, max_lr=0.01, total_steps=12, three_phase=True, anneal_strategy="linear",
                                base_momentum=0.8, max_momentum=0.9), {}),
    ("adam_inverse_sqrt", "adam", {"lr": 0.01}, {"type": "inverse_sqrt"},
     lambda opt: lrs.LambdaLR(opt, lr_lambda=lambda t: math.sqrt(1 / (t + 1))), {}),
    ("sgd_inverse_sqrt_warmup_momentum", "sgd", {"lr": 0.1, "momentum": 0.9}, {"type": "inverse_sqrt", "warmup_steps": 4},
     lambda opt: lrs.LambdaLR(opt, lr_lambda=lambda t: (t + 1) / 4 if t + 1 < 4 else math.sqrt(4 / (t + 1))),
     {"momentum": ({"type": "inverse_sqrt"}, lambda b: _inverse_sqrt(b, 0))}),
]


def _get_path(group, path):
    name, _, index = path.partition(".")
    return group[name][int(index)] if index else group[name]


def _set_path(group, path, value):
    name, _, index = path.partition(".")
    if index:
        pair = list(group[name])
        pair[int(index)] = value
        group[name] = tuple(pair)
    else:
        group[name] = value


def build_scheduled_averages(out):
    """The trajectory of averages.safetensors folded into AveragedModel EMAs whose decay for the
    fold of update k (num_averaged = k: the first fold copies) is the schedule's value at k."""
    _, back = read_safetensors(out / "averages.safetensors")
    init, traj = back["initial"], back["trajectory"]
    specs = [("ema_linear", 0.99, {"type": "linear", "start_factor": 0.5, "end_factor": 1, "total_iters": 8},
              lambda b: _linear(b, 0.5, 1, 8)),
             ("ema_inverse_sqrt", 0.9, {"type": "inverse_sqrt"}, lambda b: _inverse_sqrt(b, 0))]
    tensors, meta = {"initial": init, "trajectory": traj}, []
    for cid, decay, schedule, f in specs:
        model = _Vec(init)
        fn = f(decay)
        avg = AveragedModel(model, avg_fn=lambda a, p, n, fn=fn: fn(int(n)) * a + (1 - fn(int(n))) * p)
        rec = []
        for t in range(AVG_STEPS):
            with torch.no_grad():
                model.w.copy_(traj[t])
            avg.update_parameters(model)
            rec.append(avg.module.w.detach().clone())
        tensors[cid] = torch.stack(rec)
        assert torch.isfinite(tensors[cid]).all()
        meta.append({"id": cid, "kind": "ema", "decay": decay, "decay_schedule": schedule})
    write_safetensors(out / "averages-scheduled.safetensors", tensors, {
        "cases": json.dumps(meta, separators=(",", ":")), "steps": str(AVG_STEPS),
        "torch": torch.__version__, "aten_cpu_capability": "default"})


def build_hyper_schedules(out, inputs):
    tensors, meta_cases = {}, []
    for cid, rule, given, lr_schedule, make_lr_scheduler, schedules in HYPER_SCHEDULE_CASES:
        h = full_hyper(rule, given)
        cycled = "betas.0" if "betas" in h else "momentum"
        record = sorted(set(schedules) | ({cycled} if lr_schedule and lr_schedule["type"] == "one_cycle" else set()))
        case = {"id": cid, "rule": rule, "hyper": h, "schedule": lr_schedule,
                "schedules": {path: sch for path, (sch, _) in schedules.items()}}
        for L, (init, grads) in inputs.items():
            kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in h.items() if k not in EXTRA_HYPER}
            p = torch.nn.Parameter(init.clone())
            opt = TORCH_CLASSES[rule]([p], foreach=False, **kw)
            group = opt.param_groups[0]
            sched = make_lr_scheduler(opt) if make_lr_scheduler else None
            values = {path: f(_get_path(group, path)) for path, (_, f) in schedules.items()}
            slots, _ = expected_slots(rule, {**h, "momentum": group.get("momentum", 0)})
            res = {"weights": [], **{s: [] for s in slots}}
            lrs_seen, hyper_seen = [], {path: [] for path in record}
            for k in range(STEPS):
                for path, f in values.items():
                    _set_path(group, path, f(k))
                lrs_seen.append(float(group["lr"]))
                for path in record:
                    hyper_seen[path].append(float(_get_path(group, path)))
                p.grad = grads[k].clone()
                opt.step()
                if sched:
                    sched.step()
                res["weights"].append(p.detach().clone())
                for s in slots:
                    res[s].append(opt.state[p][s].detach().clone())
            for key, v in res.items():
                t = torch.stack(v)
                assert t.dtype == torch.float32 and t.shape == (STEPS, L) and torch.isfinite(t).all(), (cid, L, key)
                tensors[f"{cid}/n{L}/{key}"] = t
            case.update({"slots": slots, "lrs": lrs_seen, "values": hyper_seen})
        meta_cases.append(case)
    write_safetensors(out / "hyper-schedules.safetensors", tensors, {
        "cases": json.dumps(meta_cases, separators=(",", ":")), "steps": str(STEPS),
        "lengths": json.dumps(list(LENGTHS), separators=(",", ":")),
        "torch": torch.__version__, "aten_cpu_capability": "default"})
    return [c["id"] for c in meta_cases]


# ----------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "test" / "golden",
                    help="output directory (default: <repo>/test/golden)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # scheduler epoch/step-order deprecation chatter
    check_environment()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    inputs = make_inputs()
    verified = verify_formulas(inputs)  # before anything is written
    write_inputs(out, inputs)
    # round-trip self-check of the writer
    meta, back = read_safetensors(out / "inputs.safetensors")
    assert meta == {"steps": "12", "lengths": "[1,7,257,3001]"}, meta
    for L, (init, grads) in inputs.items():
        assert torch.equal(back[f"n{L}/init"], init) and torch.equal(back[f"n{L}/grads"], grads)

    rules = build_rules(out, inputs)
    notes = build_schedules(out)
    build_averages(out)
    build_clipping(out)
    hyper_schedules = build_hyper_schedules(out, inputs)
    lbfgs = build_lbfgs(out)
    build_scheduled_averages(out)

    if not args.quiet:
        print(f"torch {torch.__version__}, ATen CPU kernels: default (portable, no FMA), 1 thread")
        print("formula runners == stock torch (bitwise) for:", ", ".join(verified))
        print("rules:", json.dumps(rules))
        print("hyper schedules:", json.dumps(hyper_schedules))
        for cid, given in (("default", {"lr": 1e-3}), ("wd", {"lr": 1e-2, "betas": (0.9, 0.99)})):
            rho = radam_rho(full_hyper("radam", given))
            print(f"radam/{cid} rho_t:", ", ".join(f"{r:.3f}" for r in rho),
                  "-> rectified from step", 1 + next(i for i, r in enumerate(rho) if r > 5))
        print("lbfgs closure calls per step() call:", json.dumps(lbfgs))
        for cid, n in notes.items():
            print(f"schedule {cid}: {json.dumps(n)}")
        for p in sorted(out.rglob("*")):
            if p.is_file():
                print(f"{p.stat().st_size:>10}  {p.relative_to(out)}")


if __name__ == "__main__":
    main()
