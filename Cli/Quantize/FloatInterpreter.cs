using System;
using System.Collections.Generic;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Cli.Quantize;

/// <summary>
/// The float network, layer by layer over the lowered graph, in plain loops: what `micronet quantize`
/// runs on the calibration inputs to see every stored tensor's values. Not an inference path (the
/// generated code is): it keeps every layer's output so that calibration can observe it, and it
/// follows the same definitions as the reference kernels (Runtime/Reference), so its ranges are the
/// float model's.
/// </summary>
public sealed class FloatInterpreter
{
    private readonly Network _network;
    private readonly IReadOnlyDictionary<string, float[]> _weights;
    private readonly float[][] _outputs;
    private readonly int[][] _shiftIndex;
    private readonly int[][] _shuffleSource;

    public FloatInterpreter(Network network, IReadOnlyDictionary<string, float[]> weights)
    {
        _network = network;
        _weights = weights;
        _outputs = new float[network.Layers.Count][];
        _shiftIndex = new int[network.Layers.Count][];
        _shuffleSource = new int[network.Layers.Count][];
        foreach (var l in network.Layers)
        {
            _outputs[l.Index] = new float[l.Output.Elements];
            if (l.Kind == LayerKind.ShiftMax) _shiftIndex[l.Index] = l.ShiftIndex();
            if (l.Kind == LayerKind.ChannelShuffle) _shuffleSource[l.Index] = l.ShuffleSource();
        }
    }

    /// <summary>The output of layer <paramref name="index"/> from the last <see cref="Run"/>.</summary>
    public float[] Output(int index) => _outputs[index];

    public void Run(float[] input)
    {
        foreach (var layer in _network.Layers)
        {
            float[] Source(int k) => layer.Inputs[k] < 0 ? input : _outputs[layer.Inputs[k]];
            var x = Source(0);
            var y = _outputs[layer.Index];
            switch (layer.Kind)
            {
                case LayerKind.Conv: Conv(layer, x, y); break;
                case LayerKind.ChannelShuffle:
                {
                    int plane = layer.Output.H * layer.Output.W;
                    var map = _shuffleSource[layer.Index];
                    for (int o = 0; o < map.Length; o++) Array.Copy(x, map[o] * plane, y, o * plane, plane);
                    break;
                }
                case LayerKind.MaxGroupPool:
                {
                    int plane = layer.Output.H * layer.Output.W, per = layer.Groups;
                    for (int c = 0; c < layer.Output.C; c++)
                        for (int i = 0; i < plane; i++)
                        {
                            float m = x[c * per * plane + i];
                            for (int k = 1; k < per; k++) m = Math.Max(m, x[(c * per + k) * plane + i]);
                            y[c * plane + i] = m;
                        }
                    break;
                }
                case LayerKind.Relu6:
                    for (int i = 0; i < y.Length; i++) y[i] = Relu6(x[i]);
                    break;
                case LayerKind.Add:
                {
                    var b = Source(1);
                    for (int i = 0; i < y.Length; i++) y[i] = x[i] + b[i];
                    break;
                }
                case LayerKind.ShiftMax: ShiftMax(layer, x, y); break;
                case LayerKind.HeadPool:
                {
                    int plane = layer.Input.H * layer.Input.W;
                    for (int c = 0; c < layer.Input.C; c++)
                    {
                        float sum = 0;
                        for (int i = 0; i < plane; i++) sum += Relu6(x[c * plane + i]);
                        y[c] = HSwish(sum / plane);
                    }
                    break;
                }
                case LayerKind.Linear:
                {
                    var w = _weights[layer.Name + ".linear.0.weight"];
                    var bias = _weights[layer.Name + ".linear.0.bias"];
                    int inF = layer.Input.C;
                    for (int o = 0; o < layer.Output.C; o++)
                    {
                        float acc = bias[o];
                        for (int i = 0; i < inF; i++) acc += w[o * inF + i] * x[i];
                        y[o] = HSwish(acc);
                    }
                    break;
                }
                default: throw new InvalidOperationException("no float definition for " + layer.Kind);
            }
        }
    }

    private static float Relu6(float v) => Math.Min(Math.Max(v, 0f), 6f);
    private static float HSwish(float v) => v * (Relu6(v + 3f) / 6f);

    private void Conv(Layer layer, float[] x, float[] y)
    {
        var w = _weights[layer.Name + ".weight"];
        var bias = _weights[layer.Name + ".bias"];
        var (inS, outS) = (layer.Input, layer.Output);
        int inPerGroup = inS.C / layer.Groups, outPerGroup = outS.C / layer.Groups;
        int kh = layer.KernelH, kw = layer.KernelW;
        for (int o = 0; o < outS.C; o++)
        {
            int group = o / outPerGroup;
            for (int oy = 0; oy < outS.H; oy++)
                for (int ox = 0; ox < outS.W; ox++)
                {
                    float acc = bias[o];
                    for (int ci = 0; ci < inPerGroup; ci++)
                    {
                        int plane = (group * inPerGroup + ci) * inS.H * inS.W;
                        for (int ty = 0; ty < kh; ty++)
                        {
                            int iy = oy * layer.StrideH + ty - layer.PadH;
                            if (iy < 0 || iy >= inS.H) continue; // zero padding
                            for (int tx = 0; tx < kw; tx++)
                            {
                                int ix = ox * layer.StrideW + tx - layer.PadW;
                                if (ix < 0 || ix >= inS.W) continue;
                                acc += w[((o * inPerGroup + ci) * kh + ty) * kw + tx] * x[plane + iy * inS.W + ix];
                            }
                        }
                    }
                    y[(o * outS.H + oy) * outS.W + ox] = acc;
                }
        }
    }

    private void ShiftMax(Layer layer, float[] x, float[] y)
    {
        int c = layer.Output.C, plane = layer.Output.H * layer.Output.W, sq = layer.Squeeze, e = layer.Coefficients;
        var w0 = _weights[layer.Name + ".fc.0.weight"];
        var b0 = _weights[layer.Name + ".fc.0.bias"];
        var w2 = _weights[layer.Name + ".fc.2.weight"];
        var fc2Bias = _weights[layer.Name + ".fc.2.bias"];
        Span<float> mean = c <= 4096 ? stackalloc float[c] : new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            float sum = 0;
            for (int i = 0; i < plane; i++) sum += x[ch * plane + i];
            mean[ch] = sum / plane;
        }
        var hidden = new float[sq];
        for (int j = 0; j < sq; j++)
        {
            float acc = b0[j];
            for (int k = 0; k < c; k++) acc += w0[j * c + k] * mean[k];
            hidden[j] = Math.Max(acc, 0f);
        }
        var coeff = new float[c * e];
        float scale = (float)(2 * layer.ActMax);
        for (int i = 0; i < c * e; i++)
        {
            float acc = fc2Bias[i];
            for (int j = 0; j < sq; j++) acc += w2[i * sq + j] * hidden[j];
            coeff[i] = (Relu6(acc + 3f) * (1f / 6f) - 0.5f) * scale;
        }
        var partner = _shiftIndex[layer.Index];
        for (int ch = 0; ch < c; ch++)
        {
            float a1 = coeff[ch] + (float)layer.InitA[0], b1 = coeff[c + ch] + (float)layer.InitB[0];
            int own = ch * plane, other = partner[ch] * plane;
            if (e == 2)
            {
                for (int i = 0; i < plane; i++) y[own + i] = x[own + i] * a1 + x[other + i] * b1;
                continue;
            }
            float a2 = coeff[2 * c + ch] + (float)layer.InitA[1], b2 = coeff[3 * c + ch] + (float)layer.InitB[1];
            for (int i = 0; i < plane; i++)
                y[own + i] = Math.Max(x[own + i] * a1 + x[other + i] * b1, x[own + i] * a2 + x[other + i] * b2);
        }
    }
}
