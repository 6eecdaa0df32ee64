"""L-BFGS golden trajectories: torch.optim.LBFGS, every closure call recorded (generate.py calls this).

Writes test/golden/lbfgs.json: for each case the hyperparameters, the initial weights and, for each
`step(closure)` call, every closure call's point, loss and gradient, the weights after each
accepted move (each `_add_grad` outside a line-search trial), the weights after the call and torch's
`func_evals` / `n_iter` state; and `reductions`, torch's `a.abs().sum()` and `a.dot(b)` of random
vectors of lengths up to 4099. All numbers are float32 values written as exact decimal doubles.

Objectives (float32 autograd): f(x) = ½ xᵀAx − bᵀx with A = Q diag(λ) Qᵀ (λ log-spaced over
[1, 10] or [1e-3, 1e3]), and Rosenbrock Σ 100 (x[i+1] − x[i]²)² + (1 − x[i])², and a linear cᵀx.
"""

import json

import torch


def _quadratic(n, lo, hi, seed):
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    lam = torch.logspace(lo, hi, n, dtype=torch.float64)
    a = (q * lam) @ q.T
    a = ((a + a.T) / 2).float()
    b = torch.randn(n, generator=gen).float()
    x0 = torch.randn(n, generator=gen).float()
    return (lambda x: 0.5 * torch.dot(x, torch.mv(a, x)) - torch.dot(b, x)), x0


def _rosenbrock(n, seed):
    gen = torch.Generator().manual_seed(seed)
    x0 = (torch.full((n,), -1.2) + 0.1 * torch.randn(n, generator=gen)).float()
    x0[1::2] = 1.0
    return (lambda x: torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)), x0


def _linear(n, seed):
    gen = torch.Generator().manual_seed(seed)
    c = torch.randn(n, generator=gen).float()
    return (lambda x: torch.dot(c, x)), torch.randn(n, generator=gen).float()


OBJECTIVES = {
    "quad_well": lambda: _quadratic(20, 0, 1, 11),
    "quad_ill": lambda: _quadratic(20, -3, 3, 12),
    "rosen2": lambda: _rosenbrock(2, 13),
    "rosen10": lambda: _rosenbrock(10, 14),
    "rosen100": lambda: _rosenbrock(100, 15),
    "linear": lambda: _linear(5, 16),
}

# (objective, hyperparameters, step() calls)
CASES = [
    *[(obj, {"line_search_fn": ls, "history_size": h, **extra}, steps)
      for obj, extra, steps in (
          ("quad_well", {}, 3),
          ("quad_ill", {}, 4),
          ("rosen2", {}, 4),
          ("rosen10", {}, 4),
      )
      for ls in ("strong_wolfe", None)
      for h in (3, 10)],
    ("rosen2", {"lr": 0.05, "history_size": 3}, 4),
    ("rosen2", {"lr": 0.5, "max_iter": 7, "history_size": 10, "tolerance_change": 1e-5}, 4),
    ("rosen10", {"lr": 0.2, "max_iter": 10, "max_eval": 12, "history_size": 10}, 3),
    ("quad_ill", {"lr": 0.3, "max_iter": 30, "history_size": 10, "tolerance_grad": 1e-3}, 3),
    # the line search may overrun max_eval: torch checks the budget only after a search
    ("rosen10", {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 8, "max_eval": 9}, 4),
    ("quad_well", {"line_search_fn": "strong_wolfe", "history_size": 10, "tolerance_grad": 1e-3}, 3),
    ("rosen2", {"line_search_fn": "strong_wolfe", "history_size": 10, "tolerance_change": 1e-4}, 3),
    ("quad_ill", {"lr": 0.5, "history_size": 3, "tolerance_change": 1e-3}, 3),
    ("quad_well", {"line_search_fn": "strong_wolfe", "history_size": 3, "tolerance_change": 1e-3}, 3),
    # no curvature: the bracketing phase runs out of its 25 trials, t grows tenfold per trial
    ("linear", {"line_search_fn": "strong_wolfe", "lr": 1e-3, "max_iter": 2, "history_size": 3}, 1),
    ("rosen100", {"line_search_fn": "strong_wolfe", "history_size": 10}, 2),
    ("rosen100", {"lr": 0.02, "history_size": 10}, 2),
]


def _case_id(obj, hyper):
    parts = [obj, "wolfe" if hyper.get("line_search_fn") else "fixed", f"h{hyper['history_size']}"]
    parts += [f"{k}{v}" for k, v in sorted(hyper.items()) if k not in ("line_search_fn", "history_size")]
    return "_".join(parts)


def _run(obj, hyper, steps):
    f, x0 = OBJECTIVES[obj]()
    x = torch.nn.Parameter(x0.clone())
    opt = torch.optim.LBFGS([x], **hyper)
    record = {"evals": [], "moves": []}
    in_trial = [False]

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        record["evals"].append({"point": x.detach().tolist(), "loss": float(loss),
                                "gradient": x.grad.detach().tolist()})
        return loss

    add_grad, directional = opt._add_grad, opt._directional_evaluate

    def traced_add_grad(t, d):
        add_grad(t, d)
        if not in_trial[0]:
            record["moves"].append(x.detach().tolist())

    def traced_directional(*args):
        in_trial[0] = True
        try:
            return directional(*args)
        finally:
            in_trial[0] = False

    opt._add_grad, opt._directional_evaluate = traced_add_grad, traced_directional
    calls = []
    for _ in range(steps):
        record["evals"], record["moves"] = [], []
        opt.step(closure)
        state = opt.state[opt._params[0]]
        calls.append({"evaluations": record["evals"], "moves": record["moves"], "weights": x.detach().tolist(),
                      "func_evals": state["func_evals"], "n_iter": state["n_iter"]})
        assert all(all(map(lambda v: v == v and abs(v) < 1e30, e["point"])) for e in record["evals"]), obj
    return x0, calls


REDUCTION_LENGTHS = (1, 7, 8, 31, 100, 257, 513, 1000, 3001, 4099)


def _reductions():
    """`a.abs().sum()` and `a.dot(b)` as LBFGS computes them, at lengths beyond the cases' (ATen's
    cascade sum adds levels from 512 elements on): magnitudes of one scale (where the order of the
    additions shows most) and spread over 1e-3..1e3, signs mixed."""
    gen = torch.Generator().manual_seed(17)
    rows = []
    for n in REDUCTION_LENGTHS:
        for spread in (0, 3):
            a = (torch.randn(n, generator=gen) * torch.exp(spread * torch.randn(n, generator=gen))).float()
            b = (torch.randn(n, generator=gen) * torch.exp(spread * torch.randn(n, generator=gen))).float()
            rows.append({"n": n, "spread": spread, "a": a.tolist(), "b": b.tolist(), "abs_sum": float(a.abs().sum()), "dot": float(a.dot(b))})
    return rows


def _check_blas():
    """torch's dot goes to the system BLAS: the files assume the reference BLAS (Debian's libblas3),
    whose sdot adds left to right in float32. OpenBLAS and others order it differently."""
    gen = torch.Generator().manual_seed(18)
    a, b = torch.randn(300, generator=gen), torch.randn(300, generator=gen)
    acc = torch.zeros((), dtype=torch.float32)
    for x, y in zip(a, b):
        acc = acc + x * y
    if float(acc) != float(a.dot(b)):
        raise SystemExit("lbfgs_golden.py: torch.dot does not add left to right in float32; select the reference "
                         "BLAS (update-alternatives --config libblas.so.3-x86_64-linux-gnu: /usr/lib/x86_64-linux-gnu/blas/)")


def build_lbfgs(out):
    _check_blas()
    cases = []
    for obj, given, steps in CASES:
        x0, calls = _run(obj, given, steps)
        hyper = {k: v for k, v in torch.optim.LBFGS([torch.nn.Parameter(torch.zeros(1))], **given).defaults.items()}
        hyper["line_search_fn"] = hyper["line_search_fn"] or "none"
        cases.append({"id": _case_id(obj, given), "objective": obj, "given": given, "hyper": hyper,
                      "x0": x0.tolist(), "steps": calls})
    ids = [c["id"] for c in cases]
    assert len(set(ids)) == len(ids), ids
    doc = {"reference": f"torch.optim.LBFGS, torch {torch.__version__}, scripts/golden/lbfgs_golden.py",
           "cases": cases, "reductions": _reductions()}
    (out / "lbfgs.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return {c["id"]: [len(s["evaluations"]) for s in c["steps"]] for c in cases}
