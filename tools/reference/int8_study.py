#!/usr/bin/env python3
"""int8 feasibility study for FashionMicroNet (issue 22's scheme, simulated before it is built).

Not the bit-exact integer reference (that is the next step of issue 22): this simulates the scheme
in float ("fake quantization") to decide its open questions with measurements first: which
calibration (min/max or a percentile) and whether Dynamic Shift-Max's coefficients survive 16-bit
fixed point. What it simulates, on the trained model with every BatchNorm folded:

- weights of every conv and linear layer (not the Shift-Max MLPs): int8 symmetric per output
  channel, scale max|w| / 127, zero point 0 (TFLite's per-axis scheme);
- every tensor the int8 network would store: int8 asymmetric per tensor, scale and zero point from
  calibration ranges (always containing 0, as TFLite requires): the input, every conv output, every
  ReLU6 / Shift-Max / residual-add / pool output, the classifier's outputs. Channel shuffles and
  max-group pooling move values without requantizing;
- Dynamic Shift-Max: the squeeze-excite MLP in float on the dequantized mean; its coefficients a, b
  rounded to multiples of 2^-frac (int16 fixed point; --coeff-frac);
- bias rounding (int32 at input scale x weight scale) is not simulated: its error is below 2^-20
  of the accumulator's range.

Usage (Debian's python3-torch and dataset-fashion-mnist):
  python3 tools/reference/int8_study.py [--calibration minmax|percentile] [--samples 1000]
"""
import argparse
import copy
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import micronet_reference as ref  # noqa: E402

from train_fashion_mnist import DATA, read_idx, to_input  # noqa: E402  (the training script's data loading, reused)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fold_batchnorm(model):
    """Conv2d + BatchNorm2d and Linear + BatchNorm1d pairs inside Sequentials -> one layer with a bias."""
    for seq in model.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        names = list(seq._modules.keys())
        for a, b in zip(names, names[1:]):
            layer, bn = seq._modules[a], seq._modules[b]
            if isinstance(layer, (nn.Conv2d, nn.Linear)) and isinstance(bn, (nn.BatchNorm2d, nn.BatchNorm1d)):
                scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                shape = (-1,) + (1,) * (layer.weight.ndim - 1)
                bias = layer.bias if layer.bias is not None else torch.zeros_like(bn.running_mean)
                layer.weight = nn.Parameter(layer.weight * scale.view(shape))
                layer.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)
                seq._modules[b] = nn.Identity()


def quantize_weights(model):
    """int8 symmetric per output channel for every conv and linear outside the Shift-Max MLPs."""
    mlp = {id(m) for s in model.modules() if isinstance(s, ref.DYShiftMax) for m in s.fc.modules()}
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and id(m) not in mlp:
            w = m.weight.data
            scale = w.abs().flatten(1).max(1).values.clamp_min(1e-12) / 127.0
            shape = (-1,) + (1,) * (w.ndim - 1)
            m.weight.data = torch.clamp(torch.round(w / scale.view(shape)), -127, 127) * scale.view(shape)


def stored_tensors(model):
    """The modules whose outputs the int8 network stores (requantizes)."""
    mlp = {id(m) for s in model.modules() if isinstance(s, ref.DYShiftMax) for m in s.fc.modules()}
    out = []
    for name, m in model.named_modules():
        if id(m) in mlp:
            continue
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.ReLU6, ref.DYShiftMax, ref.HSwish)):
            out.append((name, m))
        elif isinstance(m, ref.Block) and m.residual:
            out.append((name, m))
    return out


class Observer:
    def __init__(self, mode, percentile):
        self.mode, self.percentile = mode, percentile
        self.lo, self.hi, self.samples = [], [], []

    def observe(self, t):
        t = t.detach()
        self.lo.append(t.min().item())
        self.hi.append(t.max().item())
        if self.mode == "percentile":
            flat = t.flatten()
            if flat.numel() > 200_000:
                flat = flat[torch.randint(0, flat.numel(), (200_000,), generator=torch.Generator().manual_seed(0))]
            self.samples.append(flat)

    def range(self):
        if self.mode == "minmax":
            lo, hi = min(self.lo), max(self.hi)
        else:
            s = torch.cat(self.samples)
            q = self.percentile / 100.0
            lo, hi = torch.quantile(s, 1 - q).item(), torch.quantile(s, q).item()
        return min(lo, 0.0), max(hi, 0.0)


def fake_quant(t, lo, hi):
    """int8 asymmetric: scale (hi - lo) / 255, zero point round(-128 - lo / scale) clamped to [-128, 127]."""
    scale = max(hi - lo, 1e-12) / 255.0
    zero = int(np.clip(round(-128 - lo / scale), -128, 127))
    return (torch.clamp(torch.round(t / scale) + zero, -128, 127) - zero) * scale


def run(model, x, batch=1000):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default=os.path.join(ROOT, "Models/fashion-mnist/fashion_micronet.pth"))
    p.add_argument("--arch", default=os.path.join(ROOT, "Models/fashion-mnist/arch.json"))
    p.add_argument("--data", default=DATA)
    p.add_argument("--calibration", choices=["minmax", "percentile"], default="minmax")
    p.add_argument("--percentile", type=float, default=99.99)
    p.add_argument("--samples", type=int, default=1000, help="calibration images: the first N training images")
    p.add_argument("--coeff-frac", type=int, default=12, help="Shift-Max coefficients rounded to multiples of 2^-frac (0: float)")
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    arch = ref.Arch.load(a.arch)
    model = ref.MicroNet(arch)
    state = torch.load(a.checkpoint, map_location="cpu")
    model.load_state_dict(state.get("state_dict", state) if isinstance(state, dict) else state)
    model.eval()
    mean, std = arch.mean[0], arch.std[0]
    calib = to_input(read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))[:a.samples], mean, std)
    test_x = to_input(read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")), mean, std)
    test_y = torch.from_numpy(read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))

    float_pred = run(model, test_x).argmax(1)
    qmodel = copy.deepcopy(model)
    fold_batchnorm(qmodel)
    folded_pred = run(qmodel, test_x).argmax(1)

    # calibration: ranges of the input and of every stored tensor, on the folded float model
    observers = {name: Observer(a.calibration, a.percentile) for name, _ in stored_tensors(qmodel)}
    observers["input"] = Observer(a.calibration, a.percentile)
    handles = [m.register_forward_hook(lambda m, i, o, n=name: observers[n].observe(o)) for name, m in stored_tensors(qmodel)]
    observers["input"].observe(calib)
    run(qmodel, calib, batch=250)
    for h in handles:
        h.remove()
    ranges = {n: o.range() for n, o in observers.items()}

    quantize_weights(qmodel)
    for name, m in stored_tensors(qmodel):
        lo, hi = ranges[name]
        m.register_forward_hook(lambda m, i, o, lo=lo, hi=hi: fake_quant(o, lo, hi))
    if a.coeff_frac > 0:
        step = 2.0 ** -a.coeff_frac
        for m in qmodel.modules():
            if isinstance(m, ref.DYShiftMax):
                # fc.3 yields hsigmoid(.) in [0, 1]; forward maps it to (y - 0.5) * scale: round that
                # product's inputs so that a, b land on the 2^-frac grid
                m.fc[3].register_forward_hook(lambda m, i, o, s=m.scale, step=step: torch.round((o - 0.5) * s / step) * step / s + 0.5)
    lo, hi = ranges["input"]
    q_pred = run(qmodel, fake_quant(test_x, lo, hi)).argmax(1)

    def acc(pred):
        return (pred == test_y).float().mean().item() * 100

    print(f"calibration {a.calibration}" + (f" {a.percentile}" if a.calibration == "percentile" else "") +
          f", {a.samples} training images, {len(ranges)} tensors, Shift-Max coefficients " +
          (f"2^-{a.coeff_frac}" if a.coeff_frac > 0 else "float"))
    print(f"float   {acc(float_pred):.2f} %   folded {acc(folded_pred):.2f} %   int8 (simulated) {acc(q_pred):.2f} %   "
          f"agreement with float {(q_pred == float_pred).float().mean().item() * 100:.2f} %   on {len(test_y)} test images")


if __name__ == "__main__":
    main()
