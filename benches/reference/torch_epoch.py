#!/usr/bin/env python3
"""One training epoch of the study's networks in PyTorch, at its best CPU settings, for a
side-by-side with `kd-mlp train` (see compare.sh beside this file and docs/PERFORMANCE.md).

The same work as kd-mlp's epoch: the first 54 000 MNIST training images scaled to [0, 1],
batch 32 in a shuffled order, ReLU hidden layers, softmax cross-entropy on logits, Adam with
the Keras hyper-parameters (lr 1e-3, betas 0.9/0.999, eps 1e-7). PyTorch's best settings on a
CPU: the fused Adam kernel, denormals flushed to zero (without it the teacher's epochs slow
down as Adam's moments decay into subnormals), and the given thread count for intra-op work.
Not in CI and not a dependency of the project: PyTorch is a 2 GB install (make a venv outside
the repository). Prints one JSON object per network.
"""

import argparse
import gzip
import json
import pathlib
import time

import numpy as np
import torch

NETWORKS = {
    "teacher": [784, 500, 400, 300, 200, 100, 10],
    "student": [784, 100, 10],
}


def idx_images(path: pathlib.Path) -> np.ndarray:
    """The IDX image file (raw or .gz) as a (count, rows*cols) float32 array in [0, 1]."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    magic, count, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 2051:
        raise SystemExit(f"{path}: not an IDX image file (magic {magic})")
    pixels = np.frombuffer(raw[16:], dtype=np.uint8, count=int(count * rows * cols))
    return pixels.reshape(count, rows * cols).astype(np.float32) / 255.0


def idx_labels(path: pathlib.Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    magic, count = np.frombuffer(raw[:8], dtype=">u4")
    if magic != 2049:
        raise SystemExit(f"{path}: not an IDX label file (magic {magic})")
    return np.frombuffer(raw[8:], dtype=np.uint8, count=int(count)).astype(np.int64)


def find(folder: pathlib.Path, stem: str) -> pathlib.Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise SystemExit(f"{folder}: no {stem}[.gz] (run scripts/fetch-mnist.sh)")


def network(sizes: list[int]) -> torch.nn.Sequential:
    layers: list[torch.nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i + 2 < len(sizes):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def epoch_seconds(model, x, y, batch: int, generator, repeat: int) -> float:
    """Seconds of the fastest of `repeat` epochs of Adam steps (after a short warm-up that is
    not timed)."""
    adam = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7, fused=True)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(rows):
        adam.zero_grad(set_to_none=True)
        loss_fn(model(x[rows]), y[rows]).backward()
        adam.step()

    for start in range(0, 20 * batch, batch):
        step(torch.arange(start, start + batch))
    fastest = float("inf")
    for _ in range(repeat):
        order = torch.randperm(len(x), generator=generator)
        begin = time.perf_counter()
        for start in range(0, len(x), batch):
            step(order[start : start + batch])
        fastest = min(fastest, time.perf_counter() - begin)
    return fastest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="data/mnist", type=pathlib.Path)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=54000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--networks", default="teacher,student")
    parser.add_argument("--repeat", type=int, default=1, help="epochs; the fastest is printed")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    x = torch.from_numpy(idx_images(find(args.data, "train-images-idx3-ubyte"))[: args.samples])
    y = torch.from_numpy(idx_labels(find(args.data, "train-labels-idx1-ubyte"))[: args.samples])
    generator = torch.Generator().manual_seed(1)
    for name in args.networks.split(","):
        torch.manual_seed(1)
        model = network(NETWORKS[name])
        seconds = epoch_seconds(model, x, y, args.batch, generator, args.repeat)
        print(json.dumps({
            "framework": f"pytorch {torch.__version__}",
            "network": name,
            "threads": args.threads,
            "samples": len(x),
            "batch": args.batch,
            "epoch_seconds": seconds,
            "fastest_of": args.repeat,
            "optimizer": "Adam(fused=True)",
            "flush_denormal": True,
        }))


if __name__ == "__main__":
    main()
