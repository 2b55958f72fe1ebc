#!/usr/bin/python3
"""analysis_peer.py: the peers of bench/analysis_bench, run by it as a subprocess.

Why a separate Python program: the issue asks us to measure sigmad's models against
PyTorch and scikit-learn as people use them, i.e. from Python. analysis_bench generates
the data, writes it as CSV (numbers in their shortest round-trip form, so both sides
read the same doubles), runs this script with /usr/bin/python3 (Debian's interpreter,
the one that sees python3-torch and python3-sklearn) and reads back its results.

Output protocol (stdout, one fact per line, parsed by analysis_bench):
    info NAME TEXT...     something to print (versions, BLAS library)
    result NAME NUMBER    a measurement or a count
Anything else goes to stderr. Exit 0 on success; 3 when a module is missing (the message
names the Debian package); 2 for bad arguments (argparse); 1 for any other failure.

Subcommands (each is one invocation; see analysis_bench.h for how they are used):
    check                  versions of python, numpy, torch, sklearn, and the BLAS loaded
    diabetes --out CSV     scikit-learn's diabetes data (unscaled) as CSV
    accuracy ...           out-of-fold predictions of GradientBoostingRegressor,
                           MLPRegressor and Ridge on given folds, with default settings
    train ...              one timed training run of a PyTorch ensemble (two styles)
    predict ...            prediction throughput and single-row latency of an ensemble
                           with the weights of sigmad's model

Not a runtime dependency of sigmad: benchmark only.
"""

import argparse
import os
import sys
import time

PACKAGES = {"numpy": "python3-numpy", "torch": "python3-torch", "sklearn": "python3-sklearn"}


def require(module):
    """Imports `module` or exits 3 naming the Debian package that provides it."""
    try:
        return __import__(module)
    except ImportError as e:
        sys.stderr.write(
            f"analysis_peer: {sys.executable} cannot import {module} ({e}); install "
            f"Debian's {PACKAGES[module]} (apt-get install {PACKAGES[module]}), or pass "
            "analysis_bench --python an interpreter that has it\n")
        sys.exit(3)


def result(name, value):
    print(f"result {name} {value!r}", flush=True)


def info(name, text):
    print(f"info {name} {text}", flush=True)


def loaded_blas():
    """The BLAS shared library this process mapped (libtorch links libblas.so.3)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if os.path.basename(path).startswith(("libblas", "libopenblas")):
                    return os.path.realpath(path)
    except OSError:
        pass
    return "none mapped"


def read_csv(path):
    """(header, float64 matrix) of a CSV of numbers with a header row."""
    np = require("numpy")
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return header, data


# --- check, diabetes ---------------------------------------------------------------------


def cmd_check(args):
    missing = []
    for module in PACKAGES:
        try:
            __import__(module)
        except ImportError as e:
            missing.append((module, e))
    if missing:
        for module, e in missing:
            sys.stderr.write(f"analysis_peer: {sys.executable} cannot import {module} ({e})\n")
        packages = " ".join(PACKAGES[m] for m, _ in missing)
        sys.stderr.write(f"analysis_peer: install Debian's {packages} (apt-get install {packages}), "
                         "or pass analysis_bench --python an interpreter that has them\n")
        sys.exit(3)
    np, torch, sklearn = (sys.modules[m] for m in ("numpy", "torch", "sklearn"))
    info("python", f"{sys.executable} {sys.version.split()[0]}")
    info("numpy", np.__version__)
    info("torch", torch.__version__)
    info("sklearn", sklearn.__version__)
    info("blas", loaded_blas())


def cmd_diabetes(args):
    require("numpy")
    require("sklearn")
    from sklearn.datasets import load_diabetes
    d = load_diabetes(scaled=False)
    with open(args.out, "w") as f:
        f.write(",".join(list(d.feature_names) + ["progression"]) + "\n")
        for x, y in zip(d.data, d.target):
            f.write(",".join(repr(float(v)) for v in list(x) + [y]) + "\n")
    result("rows", len(d.target))


# --- accuracy ----------------------------------------------------------------------------


def cmd_accuracy(args):
    np = require("numpy")
    require("sklearn")
    import warnings
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Ridge
    from sklearn.metrics import r2_score
    from sklearn.multioutput import MultiOutputRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    header, data = read_csv(args.data)
    outputs = args.outputs
    x, y = data[:, :-outputs], data[:, -outputs:]
    folds = np.loadtxt(args.folds, dtype=np.int64, ndmin=1)
    if len(folds) != len(y):
        sys.exit(f"analysis_peer: {args.folds} has {len(folds)} fold numbers for {len(y)} rows")

    # Default settings; random_state only makes the runs repeatable. --quick shrinks the
    # iterative models so the smoke test runs in seconds (its numbers mean nothing).
    gbr_args = {"random_state": 0}
    mlp_args = {"random_state": 0}
    if args.quick:
        gbr_args["n_estimators"] = 10
        mlp_args["max_iter"] = 10

    def gbr():
        model = GradientBoostingRegressor(**gbr_args)
        return MultiOutputRegressor(model) if outputs > 1 else model

    # Standardizing the inputs is standard practice for an MLP and for Ridge (sigmad's
    # model standardizes inputs and outputs itself); trees do not need it.
    models = {
        "gbr": gbr,
        "mlp": lambda: make_pipeline(StandardScaler(), MLPRegressor(**mlp_args)),
        "ridge": lambda: make_pipeline(StandardScaler(), Ridge()),
        # A diagnostic, not a peer for the target: MLPRegressor does not standardize the
        # outputs, which sigmad's model does; this shows what that alone changes.
        "mlp_scaled_y": lambda: TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor(**mlp_args)),
            transformer=StandardScaler()),
    }
    for name, make in models.items():
        predicted = np.zeros_like(y)
        convergence_warnings = 0
        start = time.perf_counter()
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            model = make()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model.fit(x[train], y[train] if outputs > 1 else y[train, 0])
            convergence_warnings += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
            for w in caught:
                if not issubclass(w.category, ConvergenceWarning):
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            predicted[test] = model.predict(x[test]).reshape(-1, outputs)
        result(f"{name}.seconds", time.perf_counter() - start)
        result(f"{name}.convergence_warnings", convergence_warnings)
        for o in range(outputs):
            result(f"{name}.r2.{o}", float(r2_score(y[:, o], predicted[:, o])))
        with open(f"{args.out_prefix}.{name}.csv", "w") as f:
            f.write(",".join(header[-outputs:]) + "\n")
            for row in predicted:
                f.write(",".join(repr(float(v)) for v in row) + "\n")


# --- train -------------------------------------------------------------------------------


class IndexStream:
    """Rows in reshuffled passes, as sigmad's trainer draws them: a batch that reaches
    the end of a pass continues in the next, so every step has `batch` rows."""

    def __init__(self, rows, generator):
        self.rows, self.generator = rows, generator
        self.perm, self.pos = None, rows

    def take(self, count):
        torch = require("torch")
        parts = []
        while count > 0:
            if self.pos == self.rows:
                self.perm = torch.randperm(self.rows, generator=self.generator)
                self.pos = 0
            n = min(count, self.rows - self.pos)
            parts.append(self.perm[self.pos:self.pos + n])
            self.pos += n
            count -= n
        return parts[0] if len(parts) == 1 else torch.cat(parts)


def sizes_of(inputs, hidden, outputs):
    return list(zip([inputs] + hidden, hidden + [outputs]))


def train_sequential(args, x, y, steps, seed):
    """Idiomatic PyTorch: one nn.Sequential per member, trained one after the other."""
    torch = require("torch")
    from torch import nn
    import torch.nn.functional as F
    losses = []
    for member in range(args.ensemble):
        torch.manual_seed(seed + member)
        layers = []
        for i, (fan_in, fan_out) in enumerate(sizes_of(x.shape[1], args.hidden, y.shape[1])):
            if i > 0:
                layers.append(nn.SiLU())
            layers.append(nn.Linear(fan_in, fan_out))
        net = nn.Sequential(*layers)
        linears = [m for m in net if isinstance(m, nn.Linear)]
        opt = torch.optim.AdamW(
            [{"params": [l.weight for l in linears], "weight_decay": args.weight_decay},
             {"params": [l.bias for l in linears], "weight_decay": 0.0}],
            lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
        stream = IndexStream(x.shape[0], torch.Generator().manual_seed(seed + member))
        for _ in range(args.epochs):
            batches = stream.take(steps * args.batch).view(steps, args.batch)
            total = torch.zeros(())
            for s in range(steps):
                rows = batches[s]
                loss = F.mse_loss(net(x[rows]), y[rows])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.detach()
            last = total.item() / steps
        losses.append(last)
    return sum(losses) / len(losses)


def train_batched(args, x, y, steps, seed):
    """The members as one batched computation, as sigmad trains them: weights
    [members, in, out], baddbmm, the per-member losses summed for one backward pass."""
    torch = require("torch")
    torch.manual_seed(seed)
    k = args.ensemble
    weights, biases = [], []
    for fan_in, fan_out in sizes_of(x.shape[1], args.hidden, y.shape[1]):
        bound = 1 / fan_in ** 0.5
        weights.append(torch.empty(k, fan_in, fan_out).uniform_(-bound, bound).requires_grad_())
        biases.append(torch.empty(k, 1, fan_out).uniform_(-bound, bound).requires_grad_())
    opt = torch.optim.AdamW(
        [{"params": weights, "weight_decay": args.weight_decay},
         {"params": biases, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    streams = [IndexStream(x.shape[0], torch.Generator().manual_seed(seed + m)) for m in range(k)]
    for _ in range(args.epochs):
        batches = torch.stack([s.take(steps * args.batch).view(steps, args.batch) for s in streams])
        total = torch.zeros(k)
        for s in range(steps):
            rows = batches[:, s]  # [members, batch]
            h = x[rows]
            for layer, (w, b) in enumerate(zip(weights, biases)):
                h = torch.baddbmm(b, h, w)
                if layer + 1 < len(weights):
                    h = torch.nn.functional.silu(h)
            losses = (h - y[rows]).square().mean(dim=(1, 2))
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            opt.step()
            total += losses.detach()
        last = total / steps
    return float(last.mean())


def cmd_train(args):
    np = require("numpy")
    torch = require("torch")
    torch.set_num_threads(args.threads)
    _, data = read_csv(args.data)
    train = {"seq": train_sequential, "bmm": train_batched}[args.style]
    rows = data.shape[0]
    batch = min(args.batch, rows)
    steps = -(-rows // batch)  # one pass per epoch, as sigmad: ceil(rows / batch)
    args.batch = batch

    def prepare():
        # Standardize inputs and outputs (population sd, as sigmad), float32 tensors.
        x, y = data[:, :-args.outputs], data[:, -args.outputs:]
        sx, sy = x.std(axis=0), y.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(sx > 0, sx, 1)
        y = (y - y.mean(axis=0)) / np.where(sy > 0, sy, 1)
        return (torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32)))

    # Untimed warm-up in this fresh process: a few steps of the same code, so the timed
    # run does not pay for first-call set-up (sigmad's side warms up in its process).
    x, y = prepare()
    warm = argparse.Namespace(**vars(args))
    warm.epochs, warm.ensemble = 1, min(args.ensemble, 2)
    train(warm, x[: 20 * batch], y[: 20 * batch], min(20, steps), args.seed + 1000)

    start = time.perf_counter()
    x, y = prepare()
    loss = train(args, x, y, steps, args.seed)
    seconds = time.perf_counter() - start
    result("seconds", seconds)
    result("steps", steps * args.epochs)
    result("loss", loss)
    result("threads", torch.get_num_threads())


# --- predict -----------------------------------------------------------------------------


def read_model(path):
    """The model file analysis_bench writes (its WriteModel): whitespace-separated."""
    np = require("numpy")
    with open(path) as f:
        tokens = f.read().split()
    pos = 0

    def take(n, dtype=np.float64):
        nonlocal pos
        values = np.array(tokens[pos:pos + n], dtype=dtype)
        pos += n
        return values

    members, layers, inputs, outputs = (int(v) for v in take(4, np.int64))
    shapes = [tuple(int(v) for v in take(2, np.int64)) for _ in range(layers)]
    weights = [np.zeros((members, i, o), np.float32) for i, o in shapes]
    biases = [np.zeros((members, 1, o), np.float32) for i, o in shapes]
    for m in range(members):
        for l, (i, o) in enumerate(shapes):
            weights[l][m] = take(i * o, np.float32).reshape(i, o)
            biases[l][m, 0] = take(o, np.float32)
    columns = take(4 * inputs).reshape(inputs, 4)  # mean, scale, min, max
    scaling = take(2 * outputs).reshape(outputs, 2)  # mean, scale
    return weights, biases, columns, scaling


def cmd_predict(args):
    np = require("numpy")
    torch = require("torch")
    from torch import nn
    torch.set_num_threads(args.threads)
    weights, biases, columns, scaling = read_model(args.model)
    _, data = read_csv(args.data)
    members = weights[0].shape[0]
    mean, scale = torch.from_numpy(columns[:, 0]), torch.from_numpy(columns[:, 1])
    low, high = torch.from_numpy(columns[:, 2]), torch.from_numpy(columns[:, 3])
    out_mean, out_scale = torch.from_numpy(scaling[:, 0]), torch.from_numpy(scaling[:, 1])
    w = [torch.from_numpy(a) for a in weights]
    b = [torch.from_numpy(a) for a in biases]
    nets = []
    for m in range(members):
        layers = []
        for l in range(len(w)):
            if l > 0:
                layers.append(nn.SiLU())
            linear = nn.Linear(w[l].shape[1], w[l].shape[2])
            with torch.no_grad():
                linear.weight.copy_(w[l][m].t())
                linear.bias.copy_(b[l][m, 0])
            layers.append(linear)
        nets.append(nn.Sequential(*layers).eval())

    # What sigmad's Predict does, from float64 rows to float64 answers: the
    # out-of-range flags, standardization, the members' forward passes, and their mean
    # and spread (n - 1) in the outputs' units.
    def finish(stacked):
        stacked = stacked.double()
        return ((stacked.mean(0) * out_scale + out_mean).numpy(),
                (stacked.std(0) * out_scale).numpy())

    def predict_seq(rows):
        with torch.no_grad():
            x = torch.from_numpy(rows)
            outside = ((x < low) | (x > high)).numpy()
            z = ((x - mean) / scale).float()
            return finish(torch.stack([net(z) for net in nets])) + (outside,)

    def predict_bmm(rows):
        with torch.no_grad():
            x = torch.from_numpy(rows)
            outside = ((x < low) | (x > high)).numpy()
            h = ((x - mean) / scale).float().unsqueeze(0).expand(members, -1, -1)
            for l in range(len(w)):
                h = torch.baddbmm(b[l], h, w[l])
                if l + 1 < len(w):
                    h = torch.nn.functional.silu(h)
            return finish(h) + (outside,)

    styles = {"seq": predict_seq, "bmm": predict_bmm}
    check = {name: f(data[: args.check_rows])[0] for name, f in styles.items()}
    gap = float(np.max(np.abs(check["seq"] - check["bmm"])))
    result("check.seq_vs_bmm", gap)
    with open(args.check_out, "w") as f:
        for row in check["bmm"]:
            f.write(" ".join(repr(float(v)) for v in row) + "\n")

    singles = [data[i:i + 1] for i in range(min(args.latency_calls, data.shape[0]))]
    for name, f in styles.items():  # warm-up
        f(data)
        for row in singles[:50]:
            f(row)
    batch_times = {name: [] for name in styles}
    latencies = {name: [] for name in styles}
    for rep in range(args.reps):
        for name, f in (styles.items() if rep % 2 == 0 else reversed(styles.items())):
            start = time.perf_counter()
            f(data)
            batch_times[name].append(time.perf_counter() - start)
            calls = []
            for row in singles:
                start = time.perf_counter_ns()
                f(row)
                calls.append(time.perf_counter_ns() - start)
            latencies[name].append(float(np.median(calls)) / 1e3)
    for name in styles:
        result(f"{name}.batch_seconds", float(np.median(batch_times[name])))
        result(f"{name}.batch_spread", spread(batch_times[name]))
        result(f"{name}.latency_us", float(np.median(latencies[name])))
        result(f"{name}.latency_spread", spread(latencies[name]))
    result("threads", torch.get_num_threads())


def spread(values):
    """(max - min) / median, as bench/harness.h reports it."""
    np = require("numpy")
    median = float(np.median(values))
    return (max(values) - min(values)) / median if median > 0 else 0.0


# --- main --------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check").set_defaults(run=cmd_check)

    p = sub.add_parser("diabetes")
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_diabetes)

    p = sub.add_parser("accuracy")
    p.add_argument("--data", required=True, help="CSV: inputs, then the outputs last")
    p.add_argument("--outputs", type=int, required=True)
    p.add_argument("--folds", required=True, help="one fold number per data row")
    p.add_argument("--out-prefix", required=True, help="writes PREFIX.MODEL.csv")
    p.add_argument("--quick", action="store_true")
    p.set_defaults(run=cmd_accuracy)

    p = sub.add_parser("train")
    p.add_argument("--data", required=True)
    p.add_argument("--outputs", type=int, required=True)
    p.add_argument("--style", choices=["seq", "bmm"], required=True)
    p.add_argument("--ensemble", type=int, required=True)
    p.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",")], required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--weight-decay", type=float, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("predict")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, help="CSV of the input columns only")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--reps", type=int, required=True)
    p.add_argument("--latency-calls", type=int, required=True)
    p.add_argument("--check-rows", type=int, default=100)
    p.add_argument("--check-out", required=True)
    p.set_defaults(run=cmd_predict)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
