#!/usr/bin/env python3
"""Check this reference against the authors' own code, side by side.

    /usr/bin/python3 tools/reference/check_official.py --official DIR ARCH.json [ARCH.json ...]

DIR is a directory that contains the authors' ``backbone/`` package (liyunsheng13/micronet; it is
not vendored here: get it yourself, e.g. ``git clone https://github.com/liyunsheng13/micronet``).
For every architecture file this builds the official ``MicroNet`` (configured through a stand-in
for its yacs config, with the settings of ``scripts/eval_micronet_m*.sh``) and this project's
reference, then checks:

1. identical ``state_dict`` keys, shapes and parameter counts;
2. a seeded random checkpoint saved from the official model loads into the reference with
   ``strict=True`` (and back);
3. identical outputs (eval mode) on random inputs, batch 2.

With --save-dir the official checkpoints (``torch.save(model.state_dict())`` of the authors' model)
are kept, so that ``micronet import`` can be run on them.

The official code is only imported, never copied. Exit code 0 when everything matches.
"""

import argparse
import contextlib
import io
import os
import sys
import tempfile
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import micronet_reference as ref  # noqa: E402
import refcli  # noqa: E402


def official_cfg(arch, table_name):
    act = types.SimpleNamespace(
        MODULE="DYShiftMax", ACT_MAX=arch.act_max, LINEARSE_BIAS=False,
        INIT_A_BLOCK3=list(arch.init_a_block3), INIT_A=list(arch.init_a), INIT_B=list(arch.init_b),
        REDUCTION=arch.reduction)
    nets = types.SimpleNamespace(
        NET_CONFIG=table_name, BLOCK="DYMicroBlock", STEM_MODE="spatialsepsf", STEM_CH=arch.stem_channels,
        STEM_DILATION=1, STEM_GROUPS=list(arch.stem_groups), OUT_CH=arch.head_channels, DEPTHSEP=True,
        SHUFFLE=arch.shuffle, POINTWISE="group", DROPOUT=0.1)
    return types.SimpleNamespace(MODEL=types.SimpleNamespace(MICRONETS=nets, ACTIVATION=act))


def build_official(official_dir, arch):
    sys.path.insert(0, official_dir)
    import importlib
    # backbone/__init__.py re-exports the function ``micronet``, which shadows the submodule name
    om = importlib.import_module("backbone.micronet")
    oc = importlib.import_module("backbone.microconfig")
    table = "mna_check_" + arch.name.lower()
    setattr(oc, table + "_cfgs", [list(row) for row in arch.stages])
    with contextlib.redirect_stdout(io.StringIO()):  # the official constructors print a lot
        # input_size only feeds the constructor's `assert input_size % 32 == 0`; forward takes any H x W
        model = om.MicroNet(official_cfg(arch, table), input_size=224, num_classes=arch.classes)
    return model.eval()


def check(official_dir, arch_path, save_dir=None):
    arch = ref.Arch.load(arch_path)
    if arch.in_channels != 3:
        return f"skipped (the official stem takes 3 channels): {arch_path}"
    official = build_official(official_dir, arch)
    mine = ref.MicroNet(arch).eval()
    so, sm = official.state_dict(), mine.state_dict()
    if list(so.keys()) != list(sm.keys()):
        missing = sorted(set(so) - set(sm)); extra = sorted(set(sm) - set(so))
        raise SystemExit(f"{arch_path}: key mismatch; only official: {missing[:10]} only reference: {extra[:10]}")
    bad = [k for k in so if so[k].shape != sm[k].shape]
    if bad:
        raise SystemExit(f"{arch_path}: shape mismatch at {bad[:10]}")
    refcli.randomize(official, 1234, arch)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "official.pth")
        torch.save(official.state_dict(), path)  # exactly how a user saves the authors' model
        if save_dir:
            import shutil
            os.makedirs(save_dir, exist_ok=True)
            shutil.copy(path, os.path.join(save_dir, arch.name + ".official.pth"))
        mine.load_state_dict(torch.load(path), strict=True)
    x = torch.randn(2, 3, arch.height, arch.width, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        yo, ym = official(x), mine(x)
    diff = (yo - ym).abs().max().item()
    if diff != 0.0:
        raise SystemExit(f"{arch_path}: outputs differ, max abs diff {diff}")
    params = sum(p.numel() for p in official.parameters())
    return f"OK {arch.name}: {len(so)} keys, {params} parameters, outputs identical (max |y| {yo.abs().max().item():.4g})"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--official", required=True, help="directory holding the authors' backbone/ package")
    p.add_argument("--save-dir", help="also keep each official checkpoint there (to import it with micronet)")
    p.add_argument("arch", nargs="+")
    a = p.parse_args()
    torch.set_num_threads(1)
    for path in a.arch:
        print(check(a.official, path, a.save_dir))


if __name__ == "__main__":
    main()
