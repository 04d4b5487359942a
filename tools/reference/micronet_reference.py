"""MicroNet reference model, built from a MicroNet.Aot architecture JSON.

Written for MicroNet.Aot from the semantics of the authors' code (liyunsheng13/micronet,
backbone/micronet.py and backbone/activation.py); no code was copied. What must match the
official model exactly, and does:

* the module tree, so that ``state_dict()`` key names and shapes equal the official ones and an
  official checkpoint loads with ``strict=True`` (every ``nn.Sequential`` index is kept, including
  the empty placeholders the official blocks insert where a shuffle or activation is switched off);
* the forward computation, in float32, op by op.

How this was checked against the official code: ``check_official.py`` builds the official
``MicroNet`` for M0-M3 (and the custom test tables) from a checkout of the authors' repository,
loads one seeded random checkpoint into both models and compares ``state_dict`` keys/shapes,
parameter counts, and outputs on random inputs (they are identical, max abs diff 0).

Only the settings that the four published models use are supported: block ``DYMicroBlock``,
stem ``spatialsepsf``, pointwise ``group``, depthsep on, activation ``DYShiftMax``; shuffle on
(the default) or off (``"shuffle": false``, the authors' ``MODEL.MICRONETS.SHUFFLE = False``).
Input sizes: whatever the official forward accepts (any height and width; the official constructor's
``assert input_size % 32 == 0`` checks only its unused ``input_size`` argument).
"""

import json

import torch
import torch.nn as nn
import torch.nn.functional as F

STAGE_FIELDS = ("s", "n", "c", "ks", "c1", "c2", "g1", "g2", "c3", "g3", "g4", "y1", "y2", "y3", "r")


# --------------------------------------------------------------------------------------------
# Architecture description
# --------------------------------------------------------------------------------------------

class Arch:
    """The architecture part of a ``.micronet.json`` file, as plain Python values."""

    def __init__(self, doc):
        inp = doc["input"]
        self.name = doc.get("name", "MicroNet")
        self.in_channels = int(inp["channels"])
        self.height = int(inp["height"])
        self.width = int(inp["width"])
        self.mean = [float(v) for v in inp.get("mean", [0.485, 0.456, 0.406])]
        self.std = [float(v) for v in inp.get("std", [0.229, 0.224, 0.225])]
        self.classes = int(doc["classes"])
        self.shuffle = bool(doc.get("shuffle", True))
        self.stem_channels = int(doc["stem"]["channels"])
        self.stem_groups = tuple(int(v) for v in doc["stem"]["groups"])
        self.stages = [tuple(int(row[f]) for f in STAGE_FIELDS) for row in doc["stages"]]
        self.head_channels = int(doc["head"]["channels"])
        act = doc["activation"]
        self.act_max = float(act["act_max"])
        self.init_a = [float(v) for v in act["init_a"]]
        self.init_b = [float(v) for v in act["init_b"]]
        self.init_a_block3 = [float(v) for v in act["init_a_block3"]]
        self.reduction = int(act["reduction"])
        self.doc = doc

    @staticmethod
    def load(path):
        with open(path, "r", encoding="utf-8") as f:
            return Arch(json.load(f))


def make_divisible(value, divisor):
    """MobileNet's rounding to a multiple of ``divisor`` that never loses more than 10 %."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


# --------------------------------------------------------------------------------------------
# Parameter-free pieces
# --------------------------------------------------------------------------------------------

class Identity(nn.Sequential):
    """An empty ``nn.Sequential``: the official blocks use one as a switched-off slot."""

    def __init__(self):
        super().__init__()


class ChannelShuffle(nn.Module):
    """(groups, C/groups) -> transpose -> flatten: out[j*groups + i] = in[i*(C/groups) + j]."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class MaxGroupPooling(nn.Module):
    """out[c] = max(in[2c], in[2c+1]) for pairs of adjacent channels."""

    def __init__(self, per_group=2):
        super().__init__()
        self.per_group = per_group

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, c // self.per_group, self.per_group, h, w).amax(dim=2)


class HSigmoid(nn.Module):
    """h_sigmoid of the head: ReLU6(x + 3) / 6."""

    def forward(self, x):
        return F.relu6(x + 3.0) / 6.0


class HSigmoidScaled(nn.Module):
    """h_sigmoid inside DYShiftMax: the official activation.py multiplies by (1/6) instead of dividing
    by 6; kept so that outputs are bit-identical to the authors' code."""

    def forward(self, x):
        return F.relu6(x + 3.0) * (1.0 / 6.0)


class HSwish(nn.Module):
    def forward(self, x):
        return x * (F.relu6(x + 3.0) / 6.0)


def shift_index(channels, groups):
    """Dynamic Shift-Max partner channel of each channel.

    Channels are viewed as (groups, channels/groups); the groups are rotated by one and then the
    channels inside each group by one, so channel ``i*gc + j`` reads ``((i+1)%G)*gc + (j+1)%gc``.
    """
    gc = channels // groups
    return [((i + 1) % groups) * gc + (j + 1) % gc for i in range(groups) for j in range(gc)]


# --------------------------------------------------------------------------------------------
# Modules with parameters (attribute names and Sequential indices mirror the official tree)
# --------------------------------------------------------------------------------------------

class DYShiftMax(nn.Module):
    def __init__(self, channels, reduction, act_max, four_way, init_a, init_b, groups, expansion):
        super().__init__()
        squeeze = make_divisible(channels // reduction, 4)
        squeeze = max(squeeze, 4)
        self.channels = channels
        self.coeffs = 4 if four_way else 2
        self.scale = act_max * 2.0
        self.init_a = list(init_a)
        self.init_b = list(init_b)
        self.fc = nn.Sequential(
            nn.Linear(channels, squeeze),            # fc.0
            nn.ReLU(),                               # fc.1
            nn.Linear(squeeze, channels * self.coeffs),  # fc.2
            HSigmoidScaled(),                        # fc.3
        )
        g = groups
        if g != 1 and expansion:
            g = channels // g
        self.shift_groups = g
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.register_buffer("index", torch.tensor(shift_index(channels, g), dtype=torch.long),
                             persistent=False)

    def forward(self, x):
        n, c, _, _ = x.shape
        pooled = self.pool(x).view(n, c)
        y = self.fc(pooled).view(n, c * self.coeffs, 1, 1)
        y = (y - 0.5) * self.scale
        partner = x[:, self.index, :, :]
        if self.coeffs == 4:
            a1, b1, a2, b2 = torch.split(y, c, dim=1)
            z1 = x * (a1 + self.init_a[0]) + partner * (b1 + self.init_b[0])
            z2 = x * (a2 + self.init_a[1]) + partner * (b2 + self.init_b[1])
            return torch.max(z1, z2)
        a1, b1 = torch.split(y, c, dim=1)
        return x * (a1 + self.init_a[0]) + partner * (b1 + self.init_b[0])


def group_conv_bn(inp, oup, groups):
    """1x1 group conv + BN; keys ``conv.0.weight`` and ``conv.1.*`` like the official GroupConv."""
    return _Wrapped(nn.Sequential(nn.Conv2d(inp, oup, 1, 1, 0, bias=False, groups=groups), nn.BatchNorm2d(oup)))


class _Wrapped(nn.Module):
    """A module whose only child is ``conv`` (a Sequential), as in several official modules."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return self.conv(x)


def depth_separable(inp, exp1, exp2, kernel, stride):
    """k x 1 (groups=inp, stride (s,1)) + BN, then 1 x k (groups=inp*exp1, stride (1,s)) + BN."""
    hidden = inp * exp1
    out = hidden * exp2
    pad = kernel // 2
    return _Wrapped(nn.Sequential(
        nn.Conv2d(inp, hidden, (kernel, 1), (stride, 1), (pad, 0), bias=False, groups=inp),
        nn.BatchNorm2d(hidden),
        nn.Conv2d(hidden, out, (1, kernel), (1, stride), (0, pad), bias=False, groups=hidden),
        nn.BatchNorm2d(out),
    ))


class Stem(nn.Module):
    """spatialsepsf stem: 3x1 dense conv (stride (2,1)), 1x3 group conv (stride (1,2)), shuffle."""

    def __init__(self, in_channels, channels, g1, g2):
        super().__init__()
        sep = _Wrapped(nn.Sequential(
            nn.Conv2d(in_channels, g1, (3, 1), (2, 1), (1, 0), bias=False),
            nn.BatchNorm2d(g1),
            nn.Conv2d(g1, g1 * g2, (1, 3), (1, 2), (0, 1), bias=False, groups=g1),
            nn.BatchNorm2d(g1 * g2),
            ChannelShuffle(g1),
        ))
        last = MaxGroupPooling(2) if g1 * g2 == 2 * channels else nn.ReLU6()
        self.stem = nn.Sequential(sep, last)

    def forward(self, x):
        return self.stem(x)


class Block(nn.Module):
    """One DYMicroBlock; ``layers`` has exactly the official slots, in the official order."""

    def __init__(self, arch, inp, row, stride):
        super().__init__()
        _, _, oup, ks, c1, c2, g1, g2, _c3, g3, g4, y1, y2, y3, r = row
        reduction = arch.reduction * r
        hidden = inp * c1 * c2
        ab3_a = [arch.init_a_block3[0], 0.0]
        ab3_b = [arch.init_a_block3[1], 0.0]
        self.residual = stride == 1 and inp == oup
        shuffle = arch.shuffle

        def shuffled(groups, condition=True):
            # a slot the official block fills with a shuffle only when SHUFFLE (and its condition) hold
            return ChannelShuffle(groups) if shuffle and condition else Identity()

        def act(channels, y, groups, expansion, red):
            if y > 0:
                return DYShiftMax(channels, red, arch.act_max, y == 2, arch.init_a, arch.init_b, groups, expansion)
            return nn.ReLU6()

        def last_act(channels, groups, red):
            if y3 > 0:
                return DYShiftMax(channels, red, arch.act_max, False, ab3_a, ab3_b, groups, False)
            return Identity()

        if g1 == 0:  # kind A: depthwise-separable expansion first
            slots = [
                depth_separable(inp, c1, c2, ks, stride),
                act(hidden, y2, g2, False, reduction),
                shuffled(g2),
                shuffled(hidden // 2, y2 != 0),
                group_conv_bn(hidden, oup, g3),
                last_act(oup, g4, reduction // 2),
                shuffled(g4),
                shuffled(oup // 2, oup % 2 == 0 and y3 != 0),
            ]
            self.out_channels = oup
        elif g4 == 0:  # kind C: one 1x1 group conv and its activation (the last row)
            slots = [
                group_conv_bn(inp, hidden, g1),
                last_act(hidden, g2, reduction),
            ]
            self.out_channels = hidden
        else:  # kind B: 1x1 expansion, depthwise separable, 1x1 projection
            # the official condition, whose else-branch does not look at SHUFFLE
            if shuffle and y1 != 0 and y2 != 0:
                mid_shuffle = ChannelShuffle(hidden // 4)
            elif y1 == 0 and y2 == 0:
                mid_shuffle = Identity()
            else:
                mid_shuffle = ChannelShuffle(hidden // 2)
            slots = [
                group_conv_bn(inp, hidden, g1),
                act(hidden, y1, g2, False, reduction),
                shuffled(g2),
                depth_separable(hidden, 1, 1, ks, stride),
                Identity(),
                act(hidden, y2, g2, True, reduction),
                mid_shuffle,
                group_conv_bn(hidden, oup, g3),
                last_act(oup, g4, reduction // 2 if oup < hidden else reduction),
                shuffled(g4),
                shuffled(oup // 2, y3 != 0),
            ]
            self.out_channels = oup
        self.layers = nn.Sequential(*slots)

    def forward(self, x):
        out = self.layers(x)
        return out + x if self.residual else out


class SwishLinear(nn.Module):
    def __init__(self, inp, oup):
        super().__init__()
        self.linear = nn.Sequential(nn.Linear(inp, oup), nn.BatchNorm1d(oup), HSwish())

    def forward(self, x):
        return self.linear(x)


class MicroNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        g1, g2 = arch.stem_groups
        layers = [Stem(arch.in_channels, arch.stem_channels, g1, g2)]
        channels = arch.stem_channels
        for row in arch.stages:
            s, n = row[0], row[1]
            for i in range(n):
                block = Block(arch, channels, row, s if i == 0 else 1)
                layers.append(block)
                channels = row[2]
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.Sequential(nn.ReLU6(), nn.AdaptiveAvgPool2d((1, 1)), HSwish())
        self.classifier = nn.Sequential(
            SwishLinear(channels, arch.head_channels),
            nn.Dropout(0.0),
            SwishLinear(arch.head_channels, arch.classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


# --------------------------------------------------------------------------------------------
# Counting (the figures ``micronet inspect`` must reproduce)
# --------------------------------------------------------------------------------------------

def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def count_macs(model, arch):
    """Every Conv2d and Linear: out_elems * in/groups * kh * kw, and in*out for Linear."""
    total = [0]

    def conv_hook(m, _inp, out):
        total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, _inp, _out):
        total[0] += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, arch.in_channels, arch.height, arch.width))
    for h in hooks:
        h.remove()
    return total[0]
