#!/usr/bin/python3
"""Reference log-densities of Optuna 3.1's univariate Parzen estimator for test/math/sweeps-tpe.test.ts.

Run with Debian's python3-optuna 3.1 (apt-get install -y python3-optuna):
    /usr/bin/python3 scripts/sweeps/tpe-density.py
It prints, for each parameter kind, the observations, the evaluation points and the estimator's
log_pdf there: `optuna31` as Optuna 3.1 computes it, and `scaled` with the upstream fix of
optuna/optuna#5109 (the truncated normal's log-pdf minus log(scale), PR #5110), which is what
shardstep's estimator computes. Linear ints and categoricals are unaffected by that fix.
"""
import json

import numpy as np
import optuna
from optuna import distributions
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

assert optuna.__version__.startswith("3.1"), optuna.__version__

PARAMS = _ParzenEstimatorParameters(
    consider_prior=True,
    prior_weight=1.0,
    consider_magic_clip=True,
    consider_endpoints=False,
    weights=default_weights,
    multivariate=False,
)

rng = np.random.RandomState(20240)
cases = {
    # 30 observations: default_weights' ramp applies (n >= 25); two equal values test ties.
    "uniform": (
        distributions.FloatDistribution(-2.0, 3.0),
        np.round(np.concatenate([rng.uniform(-2.0, 3.0, 28), [0.5, 0.5]]), 6),
        [-2.0, -1.3, 0.0, 0.5, 0.51, 1.7, 2.9, 3.0],
    ),
    "log_uniform": (
        distributions.FloatDistribution(1e-5, 1e-1, log=True),
        np.round(np.exp(rng.uniform(np.log(1e-5), np.log(1e-1), 7)), 12),
        [1e-5, 3e-5, 1e-4, 1e-3, 5e-3, 2e-2, 1e-1],
    ),
    "int": (
        distributions.IntDistribution(1, 10),
        rng.randint(1, 11, 12).astype(float),
        [1, 2, 3, 5, 8, 10],
    ),
    "int_log": (
        distributions.IntDistribution(2, 512, log=True),
        np.round(np.exp(rng.uniform(np.log(1.5), np.log(512.5), 5))).astype(float),
        [2, 3, 16, 100, 511, 512],
    ),
    "choice": (
        distributions.CategoricalDistribution(["a", "b", "c", "d"]),
        np.array([1, 1, 0, 3, 1, 2, 1], dtype=float),
        [0, 1, 2, 3],
    ),
    # No observations: the prior alone.
    "empty": (
        distributions.FloatDistribution(0.0, 1.0),
        np.array([], dtype=float),
        [0.0, 0.25, 0.5, 1.0],
    ),
}


def log_pdfs(dist, observations, points):
    pe = _ParzenEstimator({"x": observations}, {"x": dist}, PARAMS)
    dtype = int if isinstance(dist, distributions.CategoricalDistribution) else float
    return [float(v) for v in pe.log_pdf({"x": np.asarray(points, dtype=dtype)})]


original_logpdf = _truncnorm.logpdf


def scaled_logpdf(x, a, b, loc=0, scale=1):
    return original_logpdf(x, a, b, loc=loc, scale=scale) - np.log(scale)


out = {}
for name, (dist, observations, points) in cases.items():
    _truncnorm.logpdf = original_logpdf
    optuna31 = log_pdfs(dist, observations, points)
    _truncnorm.logpdf = scaled_logpdf
    scaled = log_pdfs(dist, observations, points)
    out[name] = {
        "observations": [float(v) for v in observations],
        "points": [float(v) for v in points],
        "optuna31": optuna31,
        "scaled": scaled,
    }
_truncnorm.logpdf = original_logpdf

# The truncated normal's pieces, including far tails.
log_ndtr_points = [-40.0, -20.5, -19.0, -8.0, -1.0, 0.0, 0.5, 3.0, 6.5, 9.0]
mass_intervals = [(-40.0, -39.0), (-3.0, -1.0), (-1.0, 2.0), (0.5, 1.5), (7.0, 9.0), (-0.1, 0.1)]
ppf_cases = [(0.3, -1.0, 2.0), (0.9, 0.5, 3.0), (0.01, -10.0, -8.0), (0.5, 8.0, 12.0), (0.999, -0.2, 0.1)]
normal = {
    "log_ndtr": [[a, float(_truncnorm._log_ndtr(np.asarray([a]))[0])] for a in log_ndtr_points],
    "log_gauss_mass": [
        [a, b, float(_truncnorm._log_gauss_mass(np.asarray([a]), np.asarray([b]))[0])] for a, b in mass_intervals
    ],
    "ppf": [[q, a, b, float(_truncnorm.ppf(np.asarray([q]), a, b)[0])] for q, a, b in ppf_cases],
}

print(json.dumps({"optuna": optuna.__version__, "normal": normal, "cases": out}, indent=1))
