#!/usr/bin/env python3
"""Train a MicroNet on Fashion-MNIST, on the CPU, seeded, within a time budget.

    /usr/bin/python3 tools/reference/train_fashion_mnist.py \
        --arch Models/fashion-mnist/arch.json --out Models/fashion-mnist [--epochs 15] [--seed 0]

Data: Debian's dataset-fashion-mnist (IDX files under /usr/share/datasets/fashion-mnist; Zalando,
MIT licence). The model is the reference MicroNet (tools/reference/micronet_reference.py) built from
the architecture file: MicroNet-M0 adapted to 1x32x32 inputs (see the file's description).

Input convention (the C# sample does the same): pixel / 255, zero-padded from 28x28 to 32x32 (2 on
every side), then (x - mean) / std with the architecture's mean and std.

Writes to --out:
  fashion_micronet.pth      the trained state_dict, official format (torch.save(model.state_dict()))
  labels.txt                the ten class names, one per line (micronet import --labels)
  training.json             seed, epochs, time, test accuracy (10,000 images) and subset accuracy
  t10k-subset-{images-idx3,labels-idx1}-ubyte.gz   the first --subset test images (bundled sample data)
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import micronet_reference as ref  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)
    if magic == 2049:
        return np.frombuffer(data, dtype=np.uint8, offset=8)
    raise SystemExit(f"{path}: not an IDX image or label file (magic {magic})")


def write_idx(path, array):
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: the same bytes on every run
        if array.ndim == 3:
            f.write(struct.pack(">IIII", 2051, array.shape[0], array.shape[1], array.shape[2]))
        else:
            f.write(struct.pack(">II", 2049, array.shape[0]))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def to_input(images, mean, std):
    """uint8 N x 28 x 28 -> float N x 1 x 32 x 32: /255, zero-pad 2, normalize."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    x = F.pad(x, (2, 2, 2, 2), value=0.0)
    return (x - mean) / std


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=DATA)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset", type=int, default=1000)
    p.add_argument("--max-minutes", type=float, default=20.0, help="stop early (and say so) past this budget")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    arch = ref.Arch.load(a.arch)
    mean, std = arch.mean[0], arch.std[0]

    train_images = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    train_labels = torch.from_numpy(read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    test_images = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))
    test_labels = torch.from_numpy(read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    x_train = to_input(train_images, mean, std)
    x_test = to_input(test_images, mean, std)
    pad_value = (0.0 - mean) / std

    model = ref.MicroNet(arch)
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim <= 1 else decay).append(param)
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 5e-5}, {"params": no_decay, "weight_decay": 0.0}],
                                lr=a.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = math.ceil(len(x_train) / a.batch)
    total_steps = a.epochs * steps_per_epoch
    warmup = steps_per_epoch // 2
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else 0.5 * (1 + math.cos(math.pi * (s - warmup) / max(1, total_steps - warmup))))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    gen = torch.Generator().manual_seed(a.seed)

    start = time.time()
    epochs_done = 0
    stopped_early = False
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        seen, loss_sum = 0, 0.0
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            xb = x_train[idx]
            # augmentation: random shift by up to 2 pixels (padding value = normalized black), random horizontal flip
            shifts = torch.randint(-2, 3, (2,), generator=gen).tolist()
            xb = torch.roll(F.pad(xb, (2, 2, 2, 2), value=pad_value), shifts=shifts, dims=(2, 3))[:, :, 2:34, 2:34]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip.view(-1, 1, 1, 1), xb.flip(3), xb)
            loss = criterion(model(xb), train_labels[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
        epochs_done = epoch + 1
        elapsed = (time.time() - start) / 60
        acc = evaluate(model, x_test, test_labels)
        print(f"epoch {epoch + 1}/{a.epochs}: loss {loss_sum / seen:.4f}, test accuracy {acc:.4f}, {elapsed:.1f} min", flush=True)
        if elapsed > a.max_minutes and epoch + 1 < a.epochs:
            print(f"stopping: the {a.max_minutes} minute budget is spent", flush=True)
            stopped_early = True
            break

    minutes = (time.time() - start) / 60
    accuracy = evaluate(model, x_test, test_labels)
    subset_accuracy = evaluate(model, x_test[:a.subset], test_labels[:a.subset])
    os.makedirs(a.out, exist_ok=True)
    model.eval()
    torch.save(model.state_dict(), os.path.join(a.out, "fashion_micronet.pth"))
    with open(os.path.join(a.out, "labels.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(c + "\n" for c in CLASSES))
    write_idx(os.path.join(a.out, "t10k-subset-images-idx3-ubyte.gz"), test_images[:a.subset])
    write_idx(os.path.join(a.out, "t10k-subset-labels-idx1-ubyte.gz"), test_labels[:a.subset].numpy().astype(np.uint8))
    record = {
        "dataset": "Fashion-MNIST (Zalando Research, MIT licence), Debian package dataset-fashion-mnist",
        "arch": os.path.basename(a.arch), "seed": a.seed, "epochs": epochs_done, "epochs_planned": a.epochs,
        "stopped_early": stopped_early, "batch": a.batch, "lr": a.lr, "minutes": round(minutes, 2),
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "test_accuracy": accuracy, "subset_images": a.subset, "subset_accuracy": subset_accuracy,
        "classes": CLASSES,
    }
    with open(os.path.join(a.out, "training.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
