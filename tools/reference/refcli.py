#!/usr/bin/env python3
"""Command line for the MicroNet.Aot PyTorch reference (the project's test oracle).

    refcli.py counts          --arch A.json
    refcli.py make-checkpoint --arch A.json --seed N --out CKPT [--wrap] [--module-prefix]
                              [--format pth|safetensors] [--legacy] [--drop KEY ...]
    refcli.py fold            --arch A.json --checkpoint CKPT --out FOLDED.safetensors
    refcli.py run             --arch A.json --checkpoint CKPT --input X.f32 --output Y.f32
    refcli.py random-input    --arch A.json --seed N --batch B --out X.f32
    refcli.py classify-idx    --arch A.json --checkpoint CKPT --images IMAGES.idx.gz --out LOGITS.f32
    refcli.py export-onnx     --arch A.json --checkpoint CKPT --out MODEL.onnx [--opset 13]
    refcli.py time            --arch A.json --checkpoint CKPT [--input X.f32] [--rounds 20] [--runs 5]

Tensor files (``.f32``) are raw little-endian float32 in NCHW order, nothing else.
Runs under Debian's python3-torch (1.13): ``/usr/bin/python3``.
"""

import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import micronet_reference as ref  # noqa: E402

BN_EPS = 1e-5


def build(arch_path):
    arch = ref.Arch.load(arch_path)
    model = ref.MicroNet(arch)
    model.eval()
    return arch, model


def randomize(model, seed, arch=None):
    """Seeded weights whose activations stay in a realistic range, with BatchNorm statistics and
    affine parameters far from identity (so that folding is really exercised).

    Random conv weights with arbitrary BN statistics make deep MicroNets explode (|y| ~ 1e16 for
    M2), which would make any tolerance meaningless. So the BN running statistics are first
    calibrated on a seeded random batch (what training would have converged to), then perturbed.
    """
    gen = torch.Generator().manual_seed(seed)
    bns = []
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
            elif isinstance(m, nn.Linear):
                # Shift-Max's coefficient layers (fc.2) get small weights: the coefficients then vary
                # per image and channel by about +-0.2 around INIT_A/INIT_B, as in a trained model,
                # instead of spanning +-ACT_MAX, which makes a random deep network chaotic.
                gain = 0.3 if name.endswith("fc.2") else 1.0
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * gain * (1.0 / m.in_features) ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
                m.reset_running_stats()
                m.momentum = None  # cumulative average over the calibration pass
                bns.append(m)
        if arch is not None:
            batch = torch.randn(16, arch.in_channels, arch.height, arch.width, generator=gen)
            model.train()
            model(batch)
            model.eval()
        for m in bns:
            c = m.num_features
            # Keep the network well conditioned: a channel whose spread is tiny next to its mean
            # (the head's features barely differ between noise images) would otherwise amplify
            # float32 rounding far beyond any tolerance; float32 and float64 runs then disagree.
            m.running_var.copy_(torch.maximum(m.running_var, 0.25 * m.running_mean ** 2 + 1e-3))
            std = torch.sqrt(m.running_var + 1e-5)
            m.running_mean.add_(torch.randn(c, generator=gen) * 0.1 * std)
            m.running_var.mul_(torch.rand(c, generator=gen) * 0.6 + 0.7)
            m.momentum = 0.1
            m.num_batches_tracked.fill_(int(torch.randint(1, 100000, (1,), generator=gen)))


def load_state(path):
    """What the official main.py accepts: a state_dict, or one under 'state_dict', 'module.' optional."""
    if path.endswith(".safetensors"):
        state = read_safetensors(path)
    else:
        state = torch.load(path, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
    return {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()}


def load_model(arch_path, ckpt_path):
    arch, model = build(arch_path)
    model.load_state_dict(load_state(ckpt_path), strict=True)
    model.eval()
    return arch, model


# --- safetensors (written and read by hand: Debian ships no safetensors package) -------------

_ST_DTYPES = {torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.float16: ("F16", 2),
              torch.bfloat16: ("BF16", 2), torch.int64: ("I64", 8)}
_ST_BACK = {v[0]: k for k, v in _ST_DTYPES.items()}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        tag, size = _ST_DTYPES[t.dtype]
        data = t.view(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": tag, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = bytearray(data[8 + n + begin:8 + n + end])
        dtype = _ST_BACK[info["dtype"]]
        out[name] = torch.frombuffer(buf, dtype=dtype).reshape(info["shape"]) if buf else torch.zeros(info["shape"], dtype=dtype)
    return out


# --- BatchNorm folding, the oracle for the importer -----------------------------------------

def fold(model):
    """Every (Conv2d|Linear) immediately followed by a BatchNorm in a Sequential gets the BN folded
    in (float64, eps 1e-5); a Linear without BN is kept as it is. Names are the conv's/linear's own."""
    folded = {}
    for prefix, module in model.named_modules():
        if not isinstance(module, nn.Sequential):
            continue
        children = list(module.named_children())
        for i, (name, child) in enumerate(children):
            full = f"{prefix}.{name}" if prefix else name
            nxt = children[i + 1][1] if i + 1 < len(children) else None
            if isinstance(child, (nn.Conv2d, nn.Linear)):
                w = child.weight.detach().double()
                b = child.bias.detach().double() if child.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
                if isinstance(nxt, (nn.BatchNorm2d, nn.BatchNorm1d)):
                    scale = nxt.weight.detach().double() / torch.sqrt(nxt.running_var.detach().double() + BN_EPS)
                    w = w * scale.view(-1, *([1] * (w.dim() - 1)))
                    b = (b - nxt.running_mean.detach().double()) * scale + nxt.bias.detach().double()
                folded[full + ".weight"] = w.float()
                folded[full + ".bias"] = b.float()
    return folded


# --- commands --------------------------------------------------------------------------------

def cmd_counts(a):
    arch, model = build(a.arch)
    print(json.dumps({"parameters": ref.count_parameters(model), "macs": ref.count_macs(model, arch),
                      "state_dict": {k: list(v.shape) for k, v in model.state_dict().items()}}))


def cmd_make_checkpoint(a):
    arch, model = build(a.arch)
    randomize(model, a.seed, arch)
    original = model.state_dict()
    # a copy (the optimizer step below must not change it), keeping PyTorch's _metadata attribute
    state = type(original)((k, v.clone()) for k, v in original.items())
    state._metadata = original._metadata
    for key in a.drop or []:
        del state[key]
    if a.module_prefix:
        state = type(state)(("module." + k, v) for k, v in state.items())
    if a.format == "safetensors":
        write_safetensors(a.out, state)
        return
    obj = state
    if a.wrap:
        # what the official main.py's save_checkpoint writes: state_dict beside training state,
        # including an optimizer state_dict with momentum buffers (tensors) and hyper-parameters
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5, nesterov=True)
        model.train()
        model(torch.randn(2, arch.in_channels, arch.height, arch.width)).square().mean().backward()
        opt.step()
        model.eval()
        obj = {"epoch": 3, "arch": "MicroNet", "state_dict": state, "best_prec1": torch.tensor(12.5),
               "optimizer": opt.state_dict()}
    torch.save(obj, a.out, _use_new_zipfile_serialization=not a.legacy)


def cmd_fold(a):
    _, model = load_model(a.arch, a.checkpoint)
    write_safetensors(a.out, fold(model))


def read_f32(path):
    with open(path, "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=torch.float32)


def cmd_run(a):
    arch, model = load_model(a.arch, a.checkpoint)
    x = read_f32(a.input)
    per_image = arch.in_channels * arch.height * arch.width
    if x.numel() % per_image:
        sys.exit(f"{a.input}: {x.numel()} floats is not a multiple of {per_image} (C*H*W)")
    x = x.view(-1, arch.in_channels, arch.height, arch.width)
    with torch.no_grad():
        y = model(x)
    with open(a.output, "wb") as f:
        f.write(y.contiguous().numpy().astype("<f4").tobytes())


def cmd_random_input(a):
    arch = ref.Arch.load(a.arch)
    gen = torch.Generator().manual_seed(a.seed)
    x = torch.randn(a.batch, arch.in_channels, arch.height, arch.width, generator=gen)
    with open(a.out, "wb") as f:
        f.write(x.numpy().astype("<f4").tobytes())


def cmd_classify_idx(a):
    """Logits for (Fashion-)MNIST IDX images: pixel/255, zero-padded to the model's size, normalized."""
    import gzip
    import numpy as np
    arch, model = load_model(a.arch, a.checkpoint)
    with (gzip.open if a.images.endswith(".gz") else open)(a.images, "rb") as f:
        data = f.read()
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 2051:
        sys.exit(f"{a.images}: not an IDX image file")
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 1, rows, cols).astype(np.float32) / 255.0
    x = torch.from_numpy(images)
    pad_h, pad_w = (arch.height - rows) // 2, (arch.width - cols) // 2
    x = torch.nn.functional.pad(x, (pad_w, arch.width - cols - pad_w, pad_h, arch.height - rows - pad_h), value=0.0)
    x = (x - arch.mean[0]) / arch.std[0]
    with torch.no_grad():
        y = torch.cat([model(x[i:i + 500]) for i in range(0, count, 500)])
    with open(a.out, "wb") as f:
        f.write(y.contiguous().numpy().astype("<f4").tobytes())


def cmd_time(a):
    """PyTorch eager latency, batch 1, one thread: median of --rounds rounds of --runs inferences."""
    import time
    arch, model = load_model(a.arch, a.checkpoint)
    x = read_f32(a.input).view(1, arch.in_channels, arch.height, arch.width) if a.input else \
        torch.randn(1, arch.in_channels, arch.height, arch.width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for _ in range(10):
            model(x)
        rounds = []
        for _ in range(a.rounds):
            start = time.perf_counter()
            for _ in range(a.runs):
                model(x)
            rounds.append((time.perf_counter() - start) * 1000 / a.runs)
    rounds.sort()
    print(json.dumps({"torch": torch.__version__, "median_ms": rounds[len(rounds) // 2], "min_ms": rounds[0]}))


def cmd_export_onnx(a):
    arch, model = load_model(a.arch, a.checkpoint)
    dummy = torch.zeros(1, arch.in_channels, arch.height, arch.width)
    torch.onnx.export(model, dummy, a.out, input_names=["input"], output_names=["output"],
                      opset_version=a.opset, do_constant_folding=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("counts"); s.add_argument("--arch", required=True); s.set_defaults(fn=cmd_counts)
    s = sub.add_parser("make-checkpoint")
    s.add_argument("--arch", required=True); s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True); s.add_argument("--wrap", action="store_true")
    s.add_argument("--module-prefix", action="store_true")
    s.add_argument("--drop", action="append", help="leave this key out (to test refusals)")
    s.add_argument("--legacy", action="store_true", help="the pre-1.6 torch.save format (not zip)")
    s.add_argument("--format", choices=["pth", "safetensors"], default="pth")
    s.set_defaults(fn=cmd_make_checkpoint)
    s = sub.add_parser("fold")
    s.add_argument("--arch", required=True); s.add_argument("--checkpoint", required=True); s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_fold)
    s = sub.add_parser("run")
    s.add_argument("--arch", required=True); s.add_argument("--checkpoint", required=True)
    s.add_argument("--input", required=True); s.add_argument("--output", required=True)
    s.set_defaults(fn=cmd_run)
    s = sub.add_parser("random-input")
    s.add_argument("--arch", required=True); s.add_argument("--seed", type=int, default=0)
    s.add_argument("--batch", type=int, default=1); s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_random_input)
    s = sub.add_parser("classify-idx")
    s.add_argument("--arch", required=True); s.add_argument("--checkpoint", required=True)
    s.add_argument("--images", required=True); s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_classify_idx)
    s = sub.add_parser("time")
    s.add_argument("--arch", required=True); s.add_argument("--checkpoint", required=True)
    s.add_argument("--input"); s.add_argument("--rounds", type=int, default=20); s.add_argument("--runs", type=int, default=5)
    s.set_defaults(fn=cmd_time)
    s = sub.add_parser("export-onnx")
    s.add_argument("--arch", required=True); s.add_argument("--checkpoint", required=True)
    s.add_argument("--out", required=True); s.add_argument("--opset", type=int, default=13)
    s.set_defaults(fn=cmd_export_onnx)

    a = p.parse_args(argv)
    torch.set_num_threads(1)
    a.fn(a)


if __name__ == "__main__":
    main()
