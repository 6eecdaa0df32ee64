"""Replays constructed learning curves through Optuna 3.1's MedianPruner and SuccessiveHalvingPruner
and prints, as a TypeScript literal, the step at which each trial was pruned (null: it ran to the end).

Run: /usr/bin/python3 scripts/sweeps/pruner-cases.py   (Debian's python3-optuna 3.1.0)
The output is pasted into test/math/sweeps-pruners.test.ts, which replays the same schedule.

Schedule: trials start in order; "sequential" runs each to its end before the next starts,
"interleaved" lets every live trial report its next step in turn (round-robin). After each report
the trial asks should_prune(); pruned → tell(PRUNED), out of reports → tell(COMPLETE, last value),
or tell(FAIL) for trials marked failing.
"""
import math
import warnings

import numpy as np
import optuna

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)

nan = float("nan")
inf = float("inf")


def curve(rng, steps):
    a, b, c = rng.uniform(0.5, 2.0), rng.uniform(0.05, 0.6), rng.uniform(0.0, 0.5)
    return [[s, round(a * math.exp(-b * s) + c, 3)] for s in steps]


def dense(values):
    return [[s, v] for s, v in enumerate(values)]


def cases():
    rng = np.random.default_rng(20240601)
    yield dict(name="median: minimize, 2 startup trials, sequential", direction="minimize",
               pruner=dict(kind="median", startup_trials=2, warmup_steps=0), schedule="sequential",
               curves=[curve(rng, range(6)) for _ in range(8)])
    yield dict(name="median: maximize, warmup 2, interleaved (running trials do not count)", direction="maximize",
               pruner=dict(kind="median", startup_trials=1, warmup_steps=2), schedule="interleaved",
               curves=[[[s, round(-v, 3)] for s, v in curve(rng, range(6 - i % 3))] for i in range(7)])
    yield dict(name="median: 3 startup trials are never pruned", direction="minimize",
               pruner=dict(kind="median", startup_trials=3, warmup_steps=0), schedule="sequential",
               curves=[dense([1, 1, 1]), dense([2, 2, 2]), dense([3, 3, 3]), dense([4, 4, 4]), dense([0.5, 3, 3])])
    yield dict(name="median: NaN ignored in the best so far and in the median; all NaN so far prunes", direction="minimize",
               pruner=dict(kind="median", startup_trials=2, warmup_steps=0), schedule="sequential",
               curves=[dense([1.0, nan, 0.5, 0.4]), dense([2.0, 0.7, nan, 0.6]), dense([0.3, nan, nan, 0.45]),
                       dense([nan, nan]), dense([nan, 0.2, 0.2, 0.2]), dense([0.9, nan, 0.8])])
    yield dict(name="median: steps no complete trial reported never prune", direction="minimize",
               pruner=dict(kind="median", startup_trials=1, warmup_steps=0), schedule="sequential",
               curves=[[[0, 1.0], [2, 0.5], [4, 0.25]], [[1, 9.0], [3, 9.0], [4, 9.0]]])
    yield dict(name="median: numpy's lerp makes the median of [1, 2, inf] NaN (no pruning)", direction="minimize",
               pruner=dict(kind="median", startup_trials=3, warmup_steps=0), schedule="sequential",
               curves=[dense([1.0, 1.0]), dense([2.0, 2.0]), dense([inf, inf]), dense([50.0, 50.0]),
                       dense([3.0, 3.0, 3.0])])
    yield dict(name="asha: minimize, r=1, eta=2, s=0, sequential", direction="minimize",
               pruner=dict(kind="asha", min_resource=1, reduction_factor=2, min_early_stopping_rate=0), schedule="sequential",
               curves=[curve(rng, range(9)) for _ in range(10)])
    yield dict(name="asha: maximize, r=2, eta=3, s=1, interleaved", direction="maximize",
               pruner=dict(kind="asha", min_resource=2, reduction_factor=3, min_early_stopping_rate=1), schedule="interleaved",
               curves=[[[s, round(1 - v, 3)] for s, v in curve(rng, range(20))] for _ in range(9)])
    yield dict(name="asha: minimize, r=1, eta=3, s=0, interleaved with a failing trial", direction="minimize",
               pruner=dict(kind="asha", min_resource=1, reduction_factor=3, min_early_stopping_rate=0), schedule="interleaved",
               curves=[curve(rng, range(10)) for _ in range(8)], failing=[2])
    yield dict(name="asha: sparse steps pass several rungs at once", direction="minimize",
               pruner=dict(kind="asha", min_resource=1, reduction_factor=2, min_early_stopping_rate=0), schedule="sequential",
               curves=[[[0, 1.0], [5, 0.5], [20, 0.2]], [[0, 1.0], [5, 0.4], [20, 0.3]], [[0, 1.0], [5, 0.45], [20, 0.25]],
                       [[0, 1.0], [5, 0.3], [20, 0.1]], [[0, 1.0], [3, 0.6], [20, 0.1]]])
    yield dict(name="asha: a trial pruned by a report past several rungs recorded only the first", direction="minimize",
               pruner=dict(kind="asha", min_resource=1, reduction_factor=2, min_early_stopping_rate=0), schedule="sequential",
               curves=[[[0, 1.0], [1, 0.5], [2, 0.4], [4, 0.3], [8, 0.2]], [[0, 1.0], [1, 0.45], [2, 0.35], [4, 0.25], [8, 0.15]],
                       [[0, 1.0], [8, 0.9]], [[0, 1.0], [1, 0.44], [2, 0.38], [4, 0.3]]])
    yield dict(name="asha: NaN at a promotion step prunes, elsewhere it does not", direction="minimize",
               pruner=dict(kind="asha", min_resource=2, reduction_factor=2, min_early_stopping_rate=0), schedule="sequential",
               curves=[dense([1.0, nan, 0.5, 0.5, 0.4]), dense([1.0, 0.9, nan, 0.5]), dense([1.0, nan, 0.4, 0.3, 0.2])])


def make_pruner(spec):
    if spec["kind"] == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=spec["startup_trials"], n_warmup_steps=spec["warmup_steps"])
    return optuna.pruners.SuccessiveHalvingPruner(
        min_resource=spec["min_resource"], reduction_factor=spec["reduction_factor"],
        min_early_stopping_rate=spec["min_early_stopping_rate"])


def events(case):
    """(trial index, report index) in the order the schedule reports them (assuming nobody stops)."""
    curves = case["curves"]
    if case["schedule"] == "sequential":
        return [(i, k) for i, c in enumerate(curves) for k in range(len(c))]
    longest = max(len(c) for c in curves)
    return [(i, k) for k in range(longest) for i, c in enumerate(curves) if k < len(c)]


def run(case):
    study = optuna.create_study(direction=case["direction"], pruner=make_pruner(case["pruner"]))
    curves, failing = case["curves"], set(case.get("failing", []))
    trials, pruned_at, finished = {}, [None] * len(curves), set()
    for i, k in events(case):
        if i in finished:
            continue
        if i not in trials:
            trials[i] = study.ask()
        step, value = curves[i][k]
        trials[i].report(value, step)
        if trials[i].should_prune():
            study.tell(trials[i], state=optuna.trial.TrialState.PRUNED)
            pruned_at[i], _ = step, finished.add(i)
        elif k == len(curves[i]) - 1:
            if i in failing:
                study.tell(trials[i], state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trials[i], value)
            finished.add(i)
    return pruned_at


def ts(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if x is None:
        return "null"
    if isinstance(x, float):
        return "NaN" if math.isnan(x) else ("Infinity" if x == inf else "-Infinity" if x == -inf else repr(x))
    if isinstance(x, int):
        return str(x)
    if isinstance(x, str):
        return '"' + x + '"'
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(ts(v) for v in x) + "]"
    if isinstance(x, dict):
        return "{ " + ", ".join(f"{k}: {ts(v)}" for k, v in x.items()) + " }"
    raise TypeError(x)


print(f"// Generated by scripts/sweeps/pruner-cases.py with Optuna {optuna.__version__}, numpy {np.__version__}.")
print("const OPTUNA_CASES: PrunerCase[] = [")
for case in cases():
    out = dict(case)
    out["prunedAt"] = run(case)
    print("  " + ts(out) + ",")
print("];")
