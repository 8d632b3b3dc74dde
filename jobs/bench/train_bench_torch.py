"""PyTorch CPU side of jobs/bench/train_bench.sh: the paper's CNN (or MLP) trained with the same
batch size and optimizer as bench_train, timed over the training epochs only (no evaluation).
One thread (torch.set_num_threads(1)), as zoolens runs one rank per core."""
import argparse
import gzip
import os
import time

import numpy as np
import torch


def load_idx(path, header):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def find(data, name):
    for suffix in ("", ".gz"):
        if os.path.exists(os.path.join(data, name + suffix)):
            return os.path.join(data, name + suffix)
    raise SystemExit(f"{data}/{name}: not found (nor {name}.gz)")


def network(arch, act, dropout, side):
    a = torch.nn.ReLU if act == "relu" else torch.nn.Tanh
    layers = []
    if arch == "cnn":
        channels = 1
        for _ in range(3):
            layers += [torch.nn.Conv2d(channels, 16, 3, stride=2), a()]
            if dropout > 0:
                layers.append(torch.nn.Dropout(dropout))
            channels = 16
        layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10)]
    else:
        width = side * side
        layers.append(torch.nn.Flatten())
        for _ in range(3):
            layers += [torch.nn.Linear(width, 16), a()]
            if dropout > 0:
                layers.append(torch.nn.Dropout(dropout))
            width = 16
        layers.append(torch.nn.Linear(16, 10))
    return torch.nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("--arch", default="cnn")
    p.add_argument("--images", type=int, default=0)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--activation", default="relu")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=1e-3)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x = load_idx(find(a.data, "train-images-idx3-ubyte"), 16)
    y = load_idx(find(a.data, "train-labels-idx1-ubyte"), 8)
    side = int(round((x.size // y.size) ** 0.5))
    x = torch.tensor(x.reshape(-1, 1, side, side).astype(np.float32) / 127.5 - 1)
    y = torch.tensor(y.astype(np.int64))
    if a.images:
        x, y = x[: a.images], y[: a.images]
    model = network(a.arch, a.activation, a.dropout, side)
    opt = {
        "sgd": lambda: torch.optim.SGD(model.parameters(), lr=a.lr),
        "adam": lambda: torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7),
        "rmsprop": lambda: torch.optim.RMSprop(model.parameters(), lr=a.lr, alpha=0.9, eps=1e-7),
    }[a.optimizer]()
    steps = len(y) // a.batch
    model.train()
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(len(y))
        for s in range(steps):
            idx = perm[s * a.batch : (s + 1) * a.batch]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - t0
    examples = steps * a.batch * a.epochs
    print(
        f"pytorch {torch.__version__} {a.arch} {a.optimizer} {a.activation} dropout "
        f"{a.dropout:.2f} batch {a.batch}: {steps * a.batch} images x {a.epochs} epochs in "
        f"{seconds:.3f} s: {examples / seconds:.0f} examples*epochs/s"
    )


if __name__ == "__main__":
    main()
