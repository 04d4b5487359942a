#!/usr/bin/env python3
"""The integer arithmetic of the int8 scheme, in exact Python integers: the oracle of
Runtime/Int8/Requantization.cs (written from the same definitions: gemmlowp's
SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, TFLite's QuantizeMultiplier and
MultiplyByQuantizedMultiplier, an overflowing left shift saturated instead of undefined).

  python3 int8_ops.py check CASES   reads lines "op args..." and prints one result per line:
      multiplier BITS              -> "quantized shift"  (BITS: the double's IEEE bits as a signed int64)
      highmul A B                  -> result
      divpot X E                   -> result
      mbqm X Q S                   -> result
      requant ACC Q S ZP MIN MAX   -> result
"""
import struct
import sys

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _trunc_div(a, b):
    """a / b truncated toward zero (C's integer division), b > 0."""
    q = abs(a) // b
    return q if a >= 0 else -q


def saturating_rounding_doubling_high_mul(a, b):
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    product = a * b
    nudge = (1 << 30) if product >= 0 else 1 - (1 << 30)
    return _trunc_div(product + nudge, 1 << 31)


def rounding_divide_by_pot(x, exponent):
    assert 0 <= exponent <= 31
    mask = (1 << exponent) - 1
    remainder = x & mask          # Python's & on negatives is two's complement, as int32's
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x, quantized, shift):
    assert -31 <= shift <= 30
    if shift > 0:
        x = max(INT32_MIN, min(INT32_MAX, x << shift))
    high = saturating_rounding_doubling_high_mul(x, quantized)
    return rounding_divide_by_pot(high, -shift) if shift < 0 else high


def requantize(acc, quantized, shift, zero_point, lo=-128, hi=127):
    return max(lo, min(hi, multiply_by_quantized_multiplier(acc, quantized, shift) + zero_point))


def quantize_multiplier(m):
    """m = quantized * 2^(shift - 31), quantized in [2^30, 2^31) rounded half away from zero; (0, 0) for 0 or negligible m."""
    if not (m == m) or m < 0 or m >= 2.0 ** 31 or m == float("inf"):
        raise ValueError("a requantization multiplier must be finite, non-negative and below 2^31")
    if m == 0:
        return 0, 0
    bits = struct.unpack("<q", struct.pack("<d", m))[0]
    biased = (bits >> 52) & 0x7FF
    if biased == 0:
        return 0, 0
    mantissa = (bits & ((1 << 52) - 1)) | (1 << 52)   # m = mantissa / 2^53 * 2^exponent
    exponent = biased - 1022
    q = (mantissa + (1 << 21)) >> 22                  # round(mantissa / 2^22), half up (mantissa > 0)
    if q == 1 << 31:
        q >>= 1
        exponent += 1
    if exponent < -31:
        return 0, 0
    return q, exponent


def check(path):
    out = []
    for line in open(path):
        f = line.split()
        if not f:
            continue
        op, a = f[0], [int(v) for v in f[1:]]
        if op == "multiplier":
            m = struct.unpack("<d", struct.pack("<q", a[0]))[0]
            q, s = quantize_multiplier(m)
            out.append(f"{q} {s}")
        elif op == "highmul":
            out.append(str(saturating_rounding_doubling_high_mul(*a)))
        elif op == "divpot":
            out.append(str(rounding_divide_by_pot(*a)))
        elif op == "mbqm":
            out.append(str(multiply_by_quantized_multiplier(*a)))
        elif op == "requant":
            out.append(str(requantize(*a)))
        else:
            raise SystemExit(f"{path}: unknown op {op!r}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "check":
        raise SystemExit(__doc__)
    check(sys.argv[2])
