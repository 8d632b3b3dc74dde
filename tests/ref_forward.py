# A trained zoo's stored test accuracy and loss equal a numpy (float64) forward pass, per row; serial.
"""usage: ref_forward.py ZOO.h5 DATA_DIR [TEST_LIMIT]

Reads each row's weights by /layout, runs the CNN (3 x [3x3 conv, stride 2, 'valid', activation],
global average pooling, dense) or the MLP (3 x [dense 16, activation], dense) with the row's
/hparams/activation on the first TEST_LIMIT (0: all) images of DATA_DIR's t10k idx files (plain or
.gz), and compares per row: accuracy within a tie or two of argmax (float32 in zoolens, float64
here), in practice exact; mean cross-entropy within 1e-4. A sample with a non-finite logit counts as
wrong, as in zoolens. Exit 77 when numpy or h5py is missing."""
import gzip
import os
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"skipping: {e}")
    sys.exit(77)

MAX_IMAGES_OFF = 2  # per row: argmax near-ties that float32 and float64 may settle differently


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir, name):
    for path in (os.path.join(data_dir, name), os.path.join(data_dir, name + ".gz")):
        if os.path.exists(path):
            return path
    sys.exit(f"{data_dir}: no {name}[.gz]")


def forward(arch, act, tensors, x):
    """Logits (n x 10) of images x (n x h x w) for the parameters tensors [(bias, kernel), ...]."""
    activate = np.tanh if act == "tanh" else (lambda v: np.maximum(v, 0.0))
    if arch == "mlp":
        h = x.reshape(len(x), -1)
        for b, k in tensors[:-1]:
            h = activate(h @ k + b)
    else:
        h = x[..., None]  # NHWC
        for b, k in tensors[:-1]:
            patches = np.lib.stride_tricks.sliding_window_view(h, (3, 3), axis=(1, 2))[:, ::2, ::2]
            h = activate(np.einsum("nyxcij,ijco->nyxo", patches, k, optimize=True) + b)
        h = h.mean(axis=(1, 2))
    b, k = tensors[-1]
    return h @ k + b


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    limit = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    images = read_idx(find(sys.argv[2], "t10k-images-idx3-ubyte"))
    labels = read_idx(find(sys.argv[2], "t10k-labels-idx1-ubyte"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    # zoolens's pixel mapping, in float32: x / 127.5 - 1
    x = (images.astype(np.float32) / np.float32(127.5) - np.float32(1)).astype(np.float64)
    n = len(labels)
    with h5py.File(sys.argv[1], "r") as z:
        arch = z.attrs["architecture"]
        arch = arch.decode() if isinstance(arch, bytes) else arch
        layout = z["layout"][:]
        weights = z["weights"][:]
        acc, loss = z["metrics/test_accuracy"][:], z["metrics/test_loss"][:]
        act_codes = z["hparams/activation"][:]
        act_labels = [s.decode() if isinstance(s, bytes) else s
                      for s in z["hparams/activation"].attrs["labels"]]
    shapes = [tuple(int(d) for d in s.decode().strip("()").split(",") if d.strip())
              for s in layout["shape"]]
    exact, worst, failures = 0, 0, 0
    for r, w in enumerate(weights.astype(np.float64)):
        flat = [w[o : o + s].reshape(shape)
                for o, s, shape in zip(layout["offset"], layout["size"], shapes)]
        tensors = list(zip(flat[0::2], flat[1::2]))  # (bias, kernel) per layer, the zoo's order
        with np.errstate(all="ignore"):
            z = forward(arch, act_labels[act_codes[r]], tensors, x)
            finite = np.isfinite(z).all(axis=1)
            hits = int(((z.argmax(axis=1) == labels) & finite).sum())
            m = z.max(axis=1, keepdims=True)
            ce = (np.log(np.exp(z - m).sum(axis=1)) + m[:, 0] - z[np.arange(n), labels]).mean()
        off = abs(hits - round(acc[r] * n))
        exact += off == 0
        worst = max(worst, off)
        loss_ok = (np.isnan(ce) and np.isnan(loss[r])) or abs(ce - loss[r]) <= 1e-4 * max(1, ce)
        if off > MAX_IMAGES_OFF or not loss_ok:
            failures += 1
            print(f"row {r}: stored accuracy {acc[r]:.6f} loss {loss[r]:.8g}; "
                  f"numpy {hits / n:.6f} loss {ce:.8g}")
    print(f"{len(weights)} networks, {n} test images: {exact} accuracies exact, "
          f"at most {worst} images off; {failures} rows fail")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
