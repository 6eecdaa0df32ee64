#!/usr/bin/python3
"""Independent re-check of test/golden/rules/*.safetensors with plain numpy float32 arithmetic.

    /usr/bin/python3 scripts/golden/check_mirror.py

Every rule is re-implemented below as a sequence of single float32 operations (numpy, no FMA),
with every Python-double scalar (lr, betas, 1-beta, bias-correction terms, ...) rounded to
float32 with f() before use, exactly as ATen's portable CPU kernels do.  The script asserts that
this reproduces every stored weight / state array bit-for-bit (including the sign of zeros).
It doubles as an executable statement of the op order documented in README.md: a TypeScript
implementation that performs the same operations in the same order, rounding after each one
(Math.fround), should reproduce the fixtures exactly.  Needs numpy (Debian: python3-numpy).
"""

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.dont_write_bytecode = True  # keep scripts/golden free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as G  # noqa: E402  (also sets ATEN_CPU_CAPABILITY before torch is imported)

f = np.float32  # round a Python double to float32


def zeros(w):
    return np.zeros_like(w)


def run(rule, h, w, grads):
    """Returns {"weights": [...], slot: [...], scalar: [...]}, one entry per step."""
    w = w.copy()
    st = {}
    out = {"weights": []}
    lr = h["lr"]
    b1, b2 = h["betas"] if "betas" in h else (None, None)
    for t, g in enumerate(grads, start=1):
        if h.get("maximize"):
            g = -g
        if rule == "adamw":                       # decoupled decay, before everything else
            w = w * f(1 - lr * h["weight_decay"])
        elif h.get("weight_decay", 0) != 0:       # L2: g + wd*w
            g = g + f(h["weight_decay"]) * w

        if rule == "sgd":
            mom = h["momentum"]
            if h["ema_momentum"]:
                m = st.get("momentum_buffer", zeros(w)) * f(mom) + f(1 - mom) * g
                st["momentum_buffer"] = m
                d = m * f(mom) + f(1 - mom) * g if h["nesterov"] else m
            elif mom != 0:
                if "momentum_buffer" not in st:
                    m = g.copy()                   # first step: buf = g (no dampening)
                else:
                    m = st["momentum_buffer"] * f(mom) + f(1 - h["dampening"]) * g
                st["momentum_buffer"] = m
                d = g + f(mom) * m if h["nesterov"] else m
            else:
                d = g
            w = w + f(-lr) * d

        elif rule == "adagrad":
            s = st.get("sum", np.full_like(w, f(h["initial_accumulator_value"])))
            s = s + (f(1) * g) * g
            st["sum"] = s
            clr = lr / (1 + (t - 1) * h["lr_decay"])
            std = np.sqrt(s + f(h["eps_root"]) if h["eps_root"] else s) + f(h["eps"])
            w = w + (f(-clr) * g) / std

        elif rule == "rmsprop":
            a = h["alpha"]
            sa = st.get("square_avg", zeros(w)) * f(a) + (f(1 - a) * g) * g
            st["square_avg"] = sa
            if h["centered"]:
                ga = st.get("grad_avg", zeros(w)) * f(a) + f(1 - a) * g
                st["grad_avg"] = ga
                avg = sa + (f(-1) * ga) * ga
            else:
                avg = sa
            if h["eps_root"]:
                avg = avg + f(h["eps_root"])
            avg = np.sqrt(avg) + f(h["eps"])
            if h["momentum"] > 0:
                buf = st.get("momentum_buffer", zeros(w)) * f(h["momentum"]) + (f(1) * g) / avg
                st["momentum_buffer"] = buf
                w = w + f(-lr) * buf
            else:
                w = w + (f(-lr) * g) / avg

        elif rule == "adadelta":
            rho, eps = h["rho"], f(h["eps"])
            sa = st.get("square_avg", zeros(w)) * f(rho) + (f(1 - rho) * g) * g
            delta = (np.sqrt(st.get("acc_delta", zeros(w)) + eps) / np.sqrt(sa + eps)) * g
            ad = st.get("acc_delta", zeros(w)) * f(rho) + (f(1 - rho) * delta) * delta
            st["square_avg"], st["acc_delta"] = sa, ad
            w = w + f(-lr) * delta

        elif rule in ("adam", "adamw"):
            m = st.get("exp_avg", zeros(w)) * f(b1) + f(1 - b1) * g
            v = st.get("exp_avg_sq", zeros(w)) * f(b2) + (f(1 - b2) * g) * g
            st["exp_avg"], st["exp_avg_sq"] = m, v
            bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
            vv = v
            if h["amsgrad"]:
                vv = np.maximum(st.get("max_exp_avg_sq", zeros(w)), v)
                st["max_exp_avg_sq"] = vv
            if h.get("eps_root"):
                denom = np.sqrt(vv / f(bc2) + f(h["eps_root"])) + f(h["eps"])
            else:
                denom = np.sqrt(vv) / f(math.sqrt(bc2)) + f(h["eps"])
            w = w + (f(-(lr / bc1)) * m) / denom

        elif rule == "adamax":
            m = st.get("exp_avg", zeros(w)) * f(b1) + f(1 - b1) * g
            u = np.maximum(st.get("exp_inf", zeros(w)) * f(b2), np.abs(g) + f(h["eps"]))
            st["exp_avg"], st["exp_inf"] = m, u
            w = w + (f(-(lr / (1 - b1 ** t))) * m) / u

        elif rule == "nadam":   # torch >= 2.0 formula (see README)
            md = h["momentum_decay"]
            mu = b1 * (1. - 0.5 * (0.96 ** (t * md)))
            mu_next = b1 * (1. - 0.5 * (0.96 ** ((t + 1) * md)))
            mp = f(st.get("mu_product", f(1)) * f(mu))       # float32 0-dim tensor in torch
            m = st.get("exp_avg", zeros(w))
            m = m + f(1 - b1) * (g - m)                       # lerp_ with weight < 0.5
            v = st.get("exp_avg_sq", zeros(w)) * f(b2) + (f(1 - b2) * g) * g
            st["exp_avg"], st["exp_avg_sq"], st["mu_product"] = m, v, mp
            denom = np.sqrt(v / f(1 - b2 ** t)) + f(h["eps"])
            mp_next = float(mp) * mu_next                     # Python double
            w = w + (f(-lr * (1. - mu) / (1. - float(mp))) * g) / denom
            w = w + (f((-lr * mu_next) / (1. - mp_next)) * m) / denom

        elif rule == "radam":   # stock torch 1.13
            bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
            m = st.get("exp_avg", zeros(w)) * f(b1) + f(1 - b1) * g
            v = st.get("exp_avg_sq", zeros(w)) * f(b2) + (f(1 - b2) * g) * g
            st["exp_avg"], st["exp_avg_sq"] = m, v
            mhat = m / f(bc1)
            rho_inf = 2 / (1 - b2) - 1
            rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
            if rho_t > 5.:
                rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                # python `scalar / tensor` is tensor.reciprocal() * scalar
                adaptive_lr = (f(1) / (np.sqrt(v) + f(h["eps"]))) * f(math.sqrt(bc2))
                w = w - ((mhat * f(lr)) * adaptive_lr) * f(rect)
            else:
                w = w - mhat * f(lr)

        elif rule == "yogi":
            m = st.get("exp_avg", zeros(w)) * f(b1) + f(1 - b1) * g
            v = st.get("exp_avg_sq", np.full_like(w, f(h["initial_accumulator_value"])))
            g2 = g * g
            v = v + (f(-(1 - b2)) * np.sign(v - g2)) * g2
            st["exp_avg"], st["exp_avg_sq"] = m, v
            vv = v + f(h["eps_root"]) if h["eps_root"] else v
            w = w + (f(-lr) * m) / (np.sqrt(vv) + f(h["eps"]))
        else:
            raise KeyError(rule)

        out["weights"].append(w.copy())
        for k, val in st.items():
            out.setdefault(k, []).append(val.copy() if isinstance(val, np.ndarray) else float(val))
    return out


def main():
    np.seterr(all="ignore")
    root = Path(__file__).resolve().parents[2] / "test" / "golden"
    _, inputs = G.read_safetensors(root / "inputs.safetensors")
    checked = bad = 0
    for path in sorted((root / "rules").glob("*.safetensors")):
        meta, tensors = G.read_safetensors(path)
        for case in json.loads(meta["cases"]):
            for L in G.LENGTHS:
                res = run(case["rule"], case["hyper"], inputs[f"n{L}/init"].numpy(), inputs[f"n{L}/grads"].numpy())
                for key in ["weights"] + case["slots"] + case["scalars"]:
                    gold = tensors[f"{case['id']}/n{L}/{key}"].numpy()
                    mine = np.array(res[key], dtype=gold.dtype)
                    ui = np.uint32 if gold.dtype == np.float32 else np.uint64
                    checked += 1
                    if not np.array_equal(gold.view(ui), mine.view(ui)):
                        bad += 1
                        print(f"MISMATCH {case['rule']}/{case['id']}/n{L}/{key}: "
                              f"{int((gold != mine).sum())} of {gold.size} values differ")
    print(f"checked {checked} arrays, {bad} bitwise mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
