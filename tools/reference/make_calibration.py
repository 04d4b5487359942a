#!/usr/bin/env python3
"""Writes a `micronet quantize --calibration` file from Fashion-MNIST IDX images.

The file holds N normalized inputs, each C x H x W little-endian float32 values (NCHW), back to
back, no header: here 1 x 32 x 32 per image, preprocessed exactly as the training script does
(/255, zero-pad 28 -> 32, (x - mean) / std with the architecture's mean and std).

  python3 tools/reference/make_calibration.py --images /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \\
      --count 1000 --out /tmp/fashion-calibration.bin
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_fashion_mnist import read_idx, to_input  # noqa: E402  (the training script's preprocessing)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", required=True, help="an IDX image file (.gz), 28 x 28 uint8 images")
    p.add_argument("--count", type=int, default=1000, help="the first N images (default 1000)")
    p.add_argument("--offset", type=int, default=0, help="skip the first K images")
    p.add_argument("--arch", default=os.path.join(ROOT, "Models/fashion-mnist/arch.json"))
    p.add_argument("--out", required=True)
    a = p.parse_args()
    with open(a.arch, encoding="utf-8") as f:
        inp = json.load(f)["input"]
    images = read_idx(a.images)[a.offset:a.offset + a.count]
    x = to_input(images, float(inp["mean"][0]), float(inp["std"][0])).numpy().astype("<f4")
    x.tofile(a.out)
    print(f"{a.out}: {len(x)} inputs of {x.shape[1]}x{x.shape[2]}x{x.shape[3]} float32 ({x.nbytes} bytes)")


if __name__ == "__main__":
    main()
