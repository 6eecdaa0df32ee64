#!/usr/bin/python3
"""The distribution of Optuna 3.1's TPE suggestions after one constructed history, for
test/math/sweeps-tpe.test.ts ("suggests as Optuna 3.1 does").

    /usr/bin/python3 scripts/sweeps/tpe-suggestions.py

Builds a history of 24 trials (22 complete, 2 pruned) over five parameters of every kind, asks
TPESampler(seed=s) (defaults) for the next trial for s = 0..N-1, and prints the history and, per
parameter, the deciles of the suggestions (numeric) or their frequencies (ints and choices).
"""
import json
import math

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

assert optuna.__version__.startswith("3.1"), optuna.__version__
optuna.logging.set_verbosity(optuna.logging.WARNING)
N = 4000

space = {
    "x": FloatDistribution(0.0, 1.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(1, 8),
    "b": IntDistribution(1, 64, log=True),
    "c": CategoricalDistribution(["p", "q", "r"]),
}

rng = np.random.RandomState(3)
history = []
for number in range(24):
    params = {
        "x": round(float(rng.uniform(0, 1)), 6),
        "lr": float(f"{math.exp(rng.uniform(math.log(1e-4), 0)):.6g}"),
        "n": int(rng.randint(1, 9)),
        "b": int(rng.randint(1, 65)),
        "c": ["p", "q", "r"][rng.randint(3)],
    }
    value = round(
        (params["x"] - 0.3) ** 2
        + 0.1 * (math.log10(params["lr"]) + 2) ** 2
        + 0.05 * abs(params["n"] - 5)
        + 0.02 * abs(math.log2(params["b"]) - 3)
        + {"p": 0.3, "q": 0.0, "r": 0.15}[params["c"]],
        6,
    )
    if number in (5, 17):
        history.append({"params": params, "state": "pruned", "reports": [[3, value]]})
    else:
        history.append({"params": params, "state": "complete", "value": value})

study = optuna.create_study()
for t in history:
    if t["state"] == "complete":
        study.add_trial(create_trial(params=t["params"], distributions=space, value=t["value"]))
    else:
        study.add_trial(
            create_trial(
                params=t["params"],
                distributions=space,
                state=TrialState.PRUNED,
                intermediate_values={step: v for step, v in t["reports"]},
            )
        )

samples = {k: [] for k in space}
for seed in range(N):
    study.sampler = optuna.samplers.TPESampler(seed=seed)
    trial = study.ask(space)
    for k in space:
        samples[k].append(trial.params[k])
    study.tell(trial, state=TrialState.FAIL)

summary = {
    "x": np.quantile(samples["x"], np.linspace(0.1, 0.9, 9)).tolist(),
    "lr": np.quantile(samples["lr"], np.linspace(0.1, 0.9, 9)).tolist(),
    "n": [samples["n"].count(v) / N for v in range(1, 9)],
    "b_le": [float(np.mean(np.asarray(samples["b"]) <= v)) for v in (1, 2, 4, 8, 16, 32, 64)],
    "c": [samples["c"].count(v) / N for v in ("p", "q", "r")],
}
print(json.dumps({"optuna": optuna.__version__, "n": N, "history": history, "suggestions": summary}))
