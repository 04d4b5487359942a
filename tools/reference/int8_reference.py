#!/usr/bin/env python3
"""The int8 MicroNet, in integers: the oracle of the generated int8 code (issue 22).

Written from the scheme's definition (docs/int8.md), not from the C#: it reads an int8 model pair
(format micronet/2, written by `micronet quantize`), walks the network as the PyTorch reference
builds it (micronet_reference.py: the official module tree, so layer names are the official module
paths the manifest uses) and computes every layer with numpy integers (int64 holding int32 values,
asserted in range) and, where the scheme says float32, numpy float32 operations one at a time in
a fixed order (no BLAS, no fused multiply-add). The result is exactly defined: the generated C#
must equal it bit for bit, on x64 and ARM64.

  python3 int8_reference.py run MODEL.micronet.json --inputs FILE --out FILE
      FILE: N inputs of C x H x W float32 (as `micronet quantize --calibration`); writes N x classes float32
  python3 int8_reference.py fashion MODEL.micronet.json [--checkpoint FLOAT.pth] [--data DIR]
      accuracy on the 10,000 Fashion-MNIST test images (and agreement with the float checkpoint)
  python3 int8_reference.py selftest
      the vector forms of the integer arithmetic against int8_ops.py's scalar definitions
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import int8_ops  # noqa: E402  (the scalar definitions; the vector forms below are checked against them)

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
F32 = np.float32


# --- the integer arithmetic, vectorized (the same definitions as int8_ops.py) -------------------

def _int32(x, what):
    if x.size and (x.min() < INT32_MIN or x.max() > INT32_MAX):
        raise AssertionError(f"{what}: int32 overflow ({x.min()} .. {x.max()})")
    return x


def high_mul(a, b):
    """round(a * b / 2^31), ties away from zero, saturated (gemmlowp's SaturatingRoundingDoublingHighMul)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    p = a * b
    s = p + np.where(p >= 0, 1 << 30, 1 - (1 << 30))
    r = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, r)


def divide_pot(x, exponent):
    """x / 2^exponent rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT)."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> e) + (remainder > threshold)


def multiply(x, quantized, shift):
    """TFLite's MultiplyByQuantizedMultiplier; an overflowing left shift saturates."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    x = np.clip(x << left, INT32_MIN, INT32_MAX)
    return divide_pot(high_mul(x, quantized), np.maximum(-shift, 0))


def requantize(acc, quantized, shift, zero, lo=-128, hi=127):
    return np.clip(multiply(acc, quantized, shift) + zero, lo, hi)


def multipliers(reals):
    """QuantizeMultiplier of each real multiplier (double), as (quantized, shift) arrays; shift in [-31, 30]."""
    qs, ss = [], []
    for m in np.asarray(reals, dtype=np.float64).ravel():
        q, s = int8_ops.quantize_multiplier(float(m))
        if s > 30:
            raise ValueError(f"multiplier {m!r} too large (shift {s})")
        qs.append(q)
        ss.append(s)
    return np.array(qs, dtype=np.int64), np.array(ss, dtype=np.int64)


def round_away(v):
    """Half away from zero, in double."""
    return float(np.sign(v) * np.floor(abs(v) + 0.5))


def quantize_f32(x, scale, zero):
    """float32 -> int8: v = x * float32(1 / scale) (float32), NaN -> 0, clamped to [-128 - zero, 127 - zero], rounded half to even, + zero."""
    inv = F32(1.0 / float(scale))
    v = (x.astype(F32) * inv).astype(F32)
    v = np.where(np.isnan(v), F32(0), v)
    v = np.clip(v, F32(-128 - zero), F32(127 - zero))
    return np.rint(v).astype(np.int64) + zero


def relu6_f32(v):
    """Below 0 gives 0, above 6 gives 6, anything else (-0 included) itself: the sign of a zero is defined."""
    return np.where(v < F32(0), F32(0), np.where(v > F32(6), F32(6), v)).astype(F32)


def hswish_f32(v):
    """x * (relu6(x + 3) / 6), float32 op by op."""
    return (v * (relu6_f32((v + F32(3)).astype(F32)) / F32(6)).astype(F32)).astype(F32)


# --- the model file ----------------------------------------------------------------------------

class Int8Model:
    def __init__(self, path):
        with open(path, "r", encoding="utf-8") as f:
            self.doc = json.load(f)
        if self.doc.get("format") != "micronet/2" or "quantization" not in self.doc:
            raise SystemExit(f"{path}: not an int8 model (format micronet/2 with a quantization section)")
        q = self.doc["quantization"]
        self.input = (F32(q["input"]["scale"]), int(q["input"]["zero"]))
        self.layers = {e["name"]: e for e in q["layers"]}
        w = self.doc["weights"]
        blob = open(os.path.join(os.path.dirname(os.path.abspath(path)), w["file"]), "rb").read()
        if len(blob) != w["bytes"]:
            raise SystemExit(f"{path}: the weights file has {len(blob)} bytes, weights.bytes says {w['bytes']}")
        types = {"float32": "<f4", "int8": "i1", "int32": "<i4"}
        self.tensors = {}
        for t in w["tensors"]:
            dtype = np.dtype(types[t.get("dtype", "float32")])
            count = int(np.prod(t["shape"]))
            self.tensors[t["name"]] = np.frombuffer(blob, dtype=dtype, count=count, offset=t["offset"]).reshape(t["shape"])

    def quant(self, name):
        e = self.layers[name]
        return F32(e["scale"]), int(e["zero"])


class QTensor:
    """int8 values (as int64) with their scale and zero point; batch first: N x C x H x W or N x C."""

    def __init__(self, q, scale, zero):
        self.q, self.scale, self.zero = q, F32(scale), int(zero)


# --- the layers --------------------------------------------------------------------------------

def conv(model, name, conv_module, x):
    """Conv (BatchNorm folded): acc = bias + sum of w_q * (q - zero) over the taps (zero padding adds 0), requantized per channel."""
    w = model.tensors[name + ".weight"].astype(np.int64)
    bias = model.tensors[name + ".bias"].astype(np.int64)
    w_scale = model.tensors[name + ".weight_scale"]
    out_scale, out_zero = model.quant(name)
    n, cin, h, wd = x.q.shape
    cout, per_group, kh, kw = w.shape
    groups = conv_module.groups
    sh, sw = conv_module.stride
    ph, pw = conv_module.padding
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    centered = np.zeros((n, cin, h + 2 * ph, wd + 2 * pw), dtype=np.int64)
    centered[:, :, ph:ph + h, pw:pw + wd] = x.q - x.zero
    acc = np.broadcast_to(bias[None, :, None, None], (n, cout, ho, wo)).astype(np.int64)
    out_per_group = cout // groups
    for ci in range(per_group):
        source = (np.arange(cout) // out_per_group) * per_group + ci  # the input channel output o reads
        for ty in range(kh):
            for tx in range(kw):
                tap = centered[:, source, ty:ty + sh * (ho - 1) + 1:sh, tx:tx + sw * (wo - 1) + 1:sw]
                acc = acc + w[:, ci, ty, tx][None, :, None, None] * tap
    _int32(acc, name)
    real = np.float64(x.scale) * w_scale.astype(np.float64) / np.float64(out_scale)
    mq, ms = multipliers(real)
    q = requantize(acc, mq[None, :, None, None], ms[None, :, None, None], out_zero)
    return QTensor(q, out_scale, out_zero)


def channel_shuffle(module, x):
    n, c, h, w = x.q.shape
    g = module.groups
    return QTensor(x.q.reshape(n, g, c // g, h, w).transpose(0, 2, 1, 3, 4).reshape(n, c, h, w), x.scale, x.zero)


def max_group_pool(module, x):
    n, c, h, w = x.q.shape
    return QTensor(x.q.reshape(n, c // module.per_group, module.per_group, h, w).max(axis=2), x.scale, x.zero)


def relu6(x):
    """Clamp to the int8 images of 0 and 6 (6 / scale rounded half away from zero), quantization unchanged."""
    six = int(round_away(6.0 / float(x.scale)))
    lo, hi = max(x.zero, -128), min(127, x.zero + six)
    return QTensor(np.clip(x.q, lo, hi), x.scale, x.zero)


def shift_max(model, name, module, x):
    """Dynamic Shift-Max: the MLP in float32 (fixed order) on the channel means, int16 coefficients, integer mixes."""
    entry = model.layers[name]
    bits = int(entry["coefficient_bits"])
    out_scale, out_zero = F32(entry["scale"]), int(entry["zero"])
    n, c, h, w = x.q.shape
    centered = x.q - x.zero
    sums = centered.reshape(n, c, h * w).sum(axis=2)
    mean = (sums.astype(F32) * F32(float(x.scale) / (h * w))).astype(F32)      # N x C

    def linear_f32(prefix, v):
        wq = model.tensors[prefix + ".weight"].astype(F32)
        ws = model.tensors[prefix + ".weight_scale"]
        b = model.tensors[prefix + ".bias"]
        acc = np.zeros((v.shape[0], wq.shape[0]), dtype=F32)
        for k in range(wq.shape[1]):   # one input at a time: acc = acc + w[:, k] * v[k], each op rounded to float32
            acc = (acc + (wq[None, :, k] * v[:, k:k + 1]).astype(F32)).astype(F32)
        return (b[None, :] + (ws[None, :] * acc).astype(F32)).astype(F32)

    h = linear_f32(name + ".fc.0", mean)
    hidden = np.where(h < F32(0), F32(0), h).astype(F32)
    y = linear_f32(name + ".fc.2", hidden)                                      # N x (e * C)
    sixth = F32(1) / F32(6)
    t = (relu6_f32((y + F32(3)).astype(F32)) * sixth).astype(F32)
    v = ((t - F32(0.5)).astype(F32) * F32(module.scale)).astype(F32)
    e = module.coeffs
    inits = [module.init_a[0], module.init_b[0]] + ([module.init_a[1], module.init_b[1]] if e == 4 else [])
    coeffs = []
    for j in range(e):
        a = (v[:, j * c:(j + 1) * c] + F32(inits[j])).astype(F32)
        coeffs.append(np.clip(np.rint((a * F32(2.0 ** bits)).astype(F32)), -32767, 32767).astype(np.int64))
    partner = centered[:, module.index.tolist()]
    mix = coeffs[0][:, :, None, None] * centered + coeffs[1][:, :, None, None] * partner
    if e == 4:
        mix = np.maximum(mix, coeffs[2][:, :, None, None] * centered + coeffs[3][:, :, None, None] * partner)
    _int32(mix, name)
    mq, ms = multipliers([np.float64(x.scale) * 2.0 ** -bits / np.float64(out_scale)])
    return QTensor(requantize(mix, mq[0], ms[0], out_zero), out_scale, out_zero)


def add(model, name, a, b):
    """TFLite's quantized add: both inputs to a common 2^20-scaled grid, summed, requantized."""
    out_scale, out_zero = model.quant(name)
    twice = 2.0 * max(float(a.scale), float(b.scale))
    (ma, mb, mo), (sa, sb, so) = multipliers([float(a.scale) / twice, float(b.scale) / twice, twice / ((1 << 20) * float(out_scale))])
    sa_ = multiply((a.q - a.zero) << 20, ma, sa)
    sb_ = multiply((b.q - b.zero) << 20, mb, sb)
    total = _int32(sa_ + sb_, name)
    return QTensor(requantize(total, mo, so, out_zero), out_scale, out_zero)


def head_pool(model, x):
    """ReLU6 (integer clamp of q - zero to [0, round(6 / scale)]), the mean in float32, h_swish, quantized."""
    out_scale, out_zero = model.quant("avgpool")
    n, c, h, w = x.q.shape
    six = int(round_away(6.0 / float(x.scale)))
    sums = np.clip(x.q - x.zero, 0, six).reshape(n, c, h * w).sum(axis=2)
    mean = (sums.astype(F32) * F32(float(x.scale) / (h * w))).astype(F32)
    return QTensor(quantize_f32(hswish_f32(mean), out_scale, out_zero), out_scale, out_zero)


def linear(model, name, x, last):
    """Linear + folded BatchNorm1d: integer accumulator, dequantized to float32 for h_swish; quantized unless last."""
    w = model.tensors[name + ".linear.0.weight"].astype(np.int64)
    bias = model.tensors[name + ".linear.0.bias"].astype(np.int64)
    ws = model.tensors[name + ".linear.0.weight_scale"]
    acc = _int32(bias[None, :] + (x.q - x.zero) @ w.T, name)
    scale = (np.float64(x.scale) * ws.astype(np.float64)).astype(F32)
    y = hswish_f32((acc.astype(F32) * scale[None, :]).astype(F32))
    if last:
        return y
    out_scale, out_zero = model.quant(name)
    return QTensor(quantize_f32(y, out_scale, out_zero), out_scale, out_zero)


# --- the walk over the official module tree ----------------------------------------------------

def run_sequence(model, ref, seq, prefix, x):
    import torch.nn as nn
    children = list(seq.named_children())
    for name, m in children:
        path = prefix + "." + name if prefix else name
        if isinstance(m, nn.Conv2d):
            x = conv(model, path, m, x)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d, nn.Dropout)):
            continue  # folded into the conv / identity at inference
        elif isinstance(m, ref.ChannelShuffle):
            x = channel_shuffle(m, x)
        elif isinstance(m, ref.MaxGroupPooling):
            x = max_group_pool(m, x)
        elif isinstance(m, nn.ReLU6):
            x = relu6(x)
        elif isinstance(m, ref.DYShiftMax):
            x = shift_max(model, path, m, x)
        elif isinstance(m, ref.Block):
            out = run_sequence(model, ref, m.layers, path + ".layers", x)
            x = add(model, path, out, x) if m.residual else out
        elif isinstance(m, ref.SwishLinear):
            x = linear(model, path, x, last=(m is children[-1][1] and prefix == "classifier"))
        elif isinstance(m, nn.Sequential) or isinstance(m, (ref._Wrapped, ref.Stem)):
            inner = m if isinstance(m, nn.Sequential) else (m.conv if isinstance(m, ref._Wrapped) else m.stem)
            inner_path = path if isinstance(m, nn.Sequential) else path + (".conv" if isinstance(m, ref._Wrapped) else ".stem")
            x = run_sequence(model, ref, inner, inner_path, x)
        else:
            raise SystemExit(f"{path}: no int8 definition for {type(m).__name__}")
    return x


def run(model, inputs):
    """inputs: N x C x H x W float32 -> N x classes float32."""
    import micronet_reference as ref
    arch = ref.Arch(model.doc)
    net = ref.MicroNet(arch)
    scale, zero = model.input
    x = QTensor(quantize_f32(inputs, scale, zero), scale, zero)
    x = run_sequence(model, ref, net.features, "features", x)
    x = head_pool(model, x)
    return run_sequence(model, ref, net.classifier, "classifier", x)


def selftest():
    """The vectorized arithmetic above equals int8_ops.py's scalar one on edge and random values."""
    rng = np.random.default_rng(7)
    edges = [INT32_MIN, INT32_MIN + 1, -(1 << 30), -65536, -255, -2, -1, 0, 1, 2, 255, 65535, 1 << 30, INT32_MAX - 1, INT32_MAX]
    a = np.array(edges * len(edges) + list(rng.integers(INT32_MIN, INT32_MAX, 20000, endpoint=True)), dtype=np.int64)
    b = np.array([e for e in edges for _ in edges] + list(rng.integers(INT32_MIN, INT32_MAX, 20000, endpoint=True)), dtype=np.int64)
    got = high_mul(a, b)
    bad = [(int(x), int(y)) for x, y, g in zip(a, b, got) if int8_ops.saturating_rounding_doubling_high_mul(int(x), int(y)) != int(g)]
    e = rng.integers(0, 32, a.size)
    got = divide_pot(a, e)
    bad += [("divpot", int(x), int(k)) for x, k, g in zip(a, e, got) if int8_ops.rounding_divide_by_pot(int(x), int(k)) != int(g)]
    q = rng.integers(1 << 30, 1 << 31, a.size)
    s = rng.integers(-31, 31, a.size)
    got = multiply(a, q, s)
    bad += [("mbqm", int(x), int(m), int(k)) for x, m, k, g in zip(a, q, s, got) if int8_ops.multiply_by_quantized_multiplier(int(x), int(m), int(k)) != int(g)]
    if bad:
        raise SystemExit(f"{len(bad)} mismatches, first {bad[:5]}")
    print(f"selftest: {3 * a.size} cases equal to int8_ops.py")


def main():
    if sys.argv[1:] == ["selftest"]:
        selftest()
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("model")
    r.add_argument("--inputs", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--batch", type=int, default=500)
    f = sub.add_parser("fashion")
    f.add_argument("model")
    f.add_argument("--checkpoint", help="the float model's checkpoint, for the agreement of predictions")
    f.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    f.add_argument("--batch", type=int, default=500)
    a = p.parse_args()
    model = Int8Model(a.model)
    inp = model.doc["input"]
    if a.cmd == "run":
        shape = (int(inp["channels"]), int(inp["height"]), int(inp["width"]))
        x = np.fromfile(a.inputs, dtype="<f4")
        per = int(np.prod(shape))
        if x.size == 0 or x.size % per:
            raise SystemExit(f"{a.inputs}: {x.size * 4} bytes is not a whole number of {shape} float32 inputs")
        x = x.reshape((-1,) + shape)
        out = np.concatenate([run(model, x[i:i + a.batch]) for i in range(0, len(x), a.batch)])
        out.astype("<f4").tofile(a.out)
        print(f"{a.out}: {out.shape[0]} x {out.shape[1]} float32")
        return
    from train_fashion_mnist import read_idx, to_input
    images = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    x = to_input(images, float(inp["mean"][0]), float(inp["std"][0])).numpy()
    pred = np.concatenate([run(model, x[i:i + a.batch]).argmax(1) for i in range(0, len(x), a.batch)])
    line = f"int8 {np.mean(pred == labels) * 100:.2f} % on {len(labels)} test images"
    if a.checkpoint:
        import torch
        import micronet_reference as ref
        net = ref.MicroNet(ref.Arch(model.doc))
        state = torch.load(a.checkpoint, map_location="cpu")
        net.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
        net.eval()
        with torch.no_grad():
            fpred = torch.cat([net(torch.from_numpy(x[i:i + 1000])) for i in range(0, len(x), 1000)]).argmax(1).numpy()
        line += f"; float {np.mean(fpred == labels) * 100:.2f} %; predictions equal to float's {np.mean(pred == fpred) * 100:.2f} %"
    print(line)


if __name__ == "__main__":
    main()
