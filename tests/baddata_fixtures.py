#!/usr/bin/env python3
"""Broken and degenerate zoo files for tests/baddata.cmake, made from a good synth zoo with h5py.

usage: baddata_fixtures.py BASE.h5 MLP.h5 OUTDIR

BASE.h5 is `zoolens synth` (cnn) output and MLP.h5 an mlp synth zoo. Each output breaks or
degenerates one thing; tests/baddata.cmake runs `zoolens analyze` on it. Exits 77 (skip) without
h5py.
"""
import os
import shutil
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("baddata_fixtures: h5py or numpy missing: skipped")
    sys.exit(77)

base, mlp, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def copy(name):
    shutil.copyfile(base, path(name))
    return h5py.File(path(name), "r+")


def replace(f, name, data):
    """Rewrites dataset `name` with data (its shape and type)."""
    del f[name]
    f.create_dataset(name, data=data)


# Truncated to half its size: a copy cut short, as by a full disk or an interrupted transfer.
size = os.path.getsize(base)
with open(base, "rb") as src, open(path("truncated.h5"), "wb") as dst:
    dst.write(src.read(size // 2))

# Bytes flipped inside /weights' data: the file stays valid HDF5, the weights become wild values,
# some of them Inf or NaN. The number of rows left with a non-finite weight goes to flipped.txt.
with h5py.File(base, "r") as f:
    d = f["weights"]
    n, p = d.shape
    chunks = [d.id.get_chunk_info(i) for i in range(d.id.get_num_chunks())]
    assert len(chunks) == 1 and chunks[0].size == n * p * 4, "one uncompressed chunk expected"
    data_at = chunks[0].byte_offset
shutil.copyfile(base, path("flipped.h5"))
rng = np.random.default_rng(11)
with open(path("flipped.h5"), "r+b") as f:
    # High bytes (sign and exponent) of 200 floats, and 4 floats set to all ones (NaN).
    for k in rng.choice(n * p, 200, replace=False):
        f.seek(data_at + 4 * int(k) + 3)
        b = f.read(1)[0]
        f.seek(-1, 1)
        f.write(bytes([b ^ 0x7F]))
    for k in rng.choice(n * p, 4, replace=False):
        f.seek(data_at + 4 * int(k))
        f.write(b"\xff\xff\xff\xff")
with h5py.File(path("flipped.h5"), "r") as f:
    w = f["weights"][...]
with open(path("flipped.txt"), "w") as t:
    t.write("%d\n" % int((~np.isfinite(w).all(axis=1)).sum()))

# A byte flipped in the metadata: inside /layout's object header (a compound datatype whose
# corruption crashed HDF5 1.10.8 in files of the 1.6 format, which has no checksums).
with h5py.File(base, "r") as f:
    header = h5py.h5o.get_info(f["layout"].id).addr
shutil.copyfile(base, path("flipped_meta.h5"))
with open(path("flipped_meta.h5"), "r+b") as f:
    f.seek(header)
    assert f.read(4) == b"OHDR", "a checksummed (version 2) object header expected"
    f.seek(header + 40)
    b = f.read(1)[0]
    f.seek(-1, 1)
    f.write(bytes([b ^ 0xFF]))

# /metrics/test_accuracy one row short, and stored as integers (per mille) instead of float64.
with copy("acc_short.h5") as f:
    replace(f, "metrics/test_accuracy", f["metrics/test_accuracy"][:-1])
with copy("acc_int.h5") as f:
    acc = f["metrics/test_accuracy"][...]
    replace(f, "metrics/test_accuracy", np.round(acc * 1000).astype(np.int64))
with copy("acc_2d.h5") as f:
    replace(f, "metrics/test_accuracy", f["metrics/test_accuracy"][...].reshape(-1, 1))

# /weights as float64.
with copy("weights_f64.h5") as f:
    w = f["weights"][...].astype(np.float64)
    replace(f, "weights", w)

# Every row has a non-finite weight: zero usable rows.
with copy("allnan.h5") as f:
    w = f["weights"][...]
    w[:, 7] = np.nan
    f["weights"][...] = w

# Every network identical: all-constant features (the targets still vary).
with copy("identical.h5") as f:
    w = f["weights"][...]
    w[:] = w[0]
    f["weights"][...] = w

# Every network identical and every target equal: R² is 0/0 on every fold.
with copy("constant.h5") as f:
    w = f["weights"][...]
    w[:] = w[0]
    f["weights"][...] = w
    acc = f["metrics/test_accuracy"]
    acc[...] = np.full(acc.shape, 0.5)

# Perfectly collinear weights: every network a scaled copy of the first, so every Gram matrix
# of the weight features has rank 1 (or so) and Cholesky alone cannot factorise it.
with copy("collinear.h5") as f:
    w = f["weights"][...]
    s = np.linspace(0.5, 1.5, w.shape[0], dtype=np.float32)
    w[:] = s[:, None] * w[0]
    f["weights"][...] = w

# An mlp zoo that claims the cnn zoo's name: "mixed architectures under one name".
shutil.copyfile(mlp, path("mislabelled.h5"))
with h5py.File(path("mislabelled.h5"), "r+") as f:
    f.attrs["architecture"] = np.bytes_(b"cnn")
    f.attrs["dataset"] = np.bytes_(b"synthetic")
print("baddata_fixtures: written in %s" % out)
