#!/usr/bin/env python3
"""Check that a kd-mlp model gives the same predictions in Python as in kd-mlp.

Usage:
    python3 docs/interop_check.py MODEL.safetensors IMAGES.idx[.gz] PREDICTIONS.json [LABELS.idx[.gz]]

PREDICTIONS.json is written by `cargo run --release --example predict -- MODEL IMAGES OUT.json`:
an object whose "predictions" list holds kd-mlp's class for every image. With a labels file the
test error is printed too. Needs only `pip install safetensors numpy` (see docs/INTEROP.md).
Exits 0 when every prediction agrees, 1 otherwise.
"""

import gzip
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

# A prediction may differ only where the two best logits are this close: kd-mlp sums in f32 in
# its own order, numpy in another, so an exact near-tie can fall either way.
TIE = 1e-4


def read_idx(path):
    """An IDX file of unsigned bytes (raw or gzip) as a numpy array of its dims."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = data[0:2], data[2], data[3]
    assert zero == b"\0\0" and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_model(path):
    """The layers [(W, b), ...] and the metadata of a kd-mlp model file."""
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    assert meta["format"] == "kd-mlp" and meta["format_version"] == "1", meta
    sizes = [int(s) for s in meta["sizes"].split(",")]
    tensors = load_file(path)
    layers = []
    for l in range(len(sizes) - 1):
        w, b = tensors[f"dense.{l}.weight"], tensors[f"dense.{l}.bias"]
        assert w.shape == (sizes[l], sizes[l + 1]) and b.shape == (sizes[l + 1],)
        layers.append((w, b))
    return layers, meta


def logits(layers, images):
    """relu(x @ W + b) for every hidden layer, x @ W + b for the last, with x = pixel / 255."""
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    x = x.astype(np.float64)  # more exact than kd-mlp's f32; disagreements are then near-ties
    for l, (w, b) in enumerate(layers):
        x = x @ w.astype(np.float64) + b
        if l < len(layers) - 1:
            x = np.maximum(x, 0)
    return x


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    model, images_path, predictions_path = argv[1:4]
    layers, meta = load_model(model)
    images = read_idx(images_path)
    with open(predictions_path) as f:
        theirs = np.array(json.load(f)["predictions"])
    z = logits(layers, images)
    ours = z.argmax(axis=1)
    assert len(ours) == len(theirs), f"{len(ours)} images, {len(theirs)} predictions"
    top2 = np.sort(z, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    differ = ours != theirs
    unexplained = differ & (margin >= TIE)
    print(f"{model}: sizes {meta['sizes']}, {len(ours)} images from {images_path}")
    print(f"predictions equal for {int((~differ).sum())} of {len(ours)} images; "
          f"{int(differ.sum())} differ, {int(unexplained.sum())} of them not near-ties")
    if len(argv) == 5:
        labels = read_idx(argv[4])
        print(f"test error in Python: {100 * float((ours != labels).mean()):.2f}%")
    return 1 if unexplained.any() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
