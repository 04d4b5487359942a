using System.Collections.Generic;
using System.Linq;
using MicroNet.Aot.Model.Lowering;

namespace MicroNet.Aot.Planning;

internal static class MemoryPlanner
{
    /// <summary>Buffers start on 64-byte boundaries (16 floats) so vector loads never split a cache line needlessly.</summary>
    public const int AlignmentFloats = 16;

    /// <summary>Plans the network; <paramref name="error"/> is set (and null returned) for a graph the planner cannot place.</summary>
    public static MemoryPlan? Plan(Network network, out string? error)
    {
        error = null;
        var buffers = new List<PlannedBuffer>();
        var steps = new List<PlannedLayer>();
        var views = new TensorView[network.Layers.Count];
        var inputView = new TensorView(Storage.NetworkInput, null, network.InputShape);
        int last = network.Layers.Count - 1;

        // how many more times each layer's output will be read (to check in-place safety)
        var readers = new int[network.Layers.Count];
        foreach (var l in network.Layers) foreach (int i in l.Inputs) if (i >= 0) readers[i]++;

        int NewBuffer(string name, long size, int step)
        {
            buffers.Add(new PlannedBuffer { Id = buffers.Count, Name = name, Size = size, FirstStep = step, LastStep = step });
            return buffers.Count - 1;
        }
        void AddShiftMaxTemps(PlannedLayer planned, Layer layer, int step)
        {
            planned.Temps.Add(NewBuffer(layer.Name + " channel means", layer.Output.C, step));
            planned.Temps.Add(NewBuffer(layer.Name + " squeeze", layer.Squeeze, step));
            planned.Temps.Add(NewBuffer(layer.Name + " coefficients", (long)layer.Output.C * layer.Coefficients, step));
        }
        void Use(TensorView v, int step)
        {
            if (v.Buffer >= 0 && buffers[v.Buffer].LastStep < step) buffers[v.Buffer].LastStep = step;
        }

        foreach (var layer in network.Layers)
        {
            int s = layer.Index;
            var inputs = layer.Inputs.Select(i => i < 0 ? inputView : views[i]).ToArray();
            foreach (var v in inputs) Use(v, s);
            var fusedFrom = s > 0 && steps[s - 1].FusedIntoNext ? steps[s - 1] : null;
            if (fusedFrom != null) foreach (var v in fusedFrom.Inputs) Use(v, s); // the pair reads the first conv's input now
            TensorView output;
            PlannedLayer planned;
            if (Fusion.FusesIntoNext(network, s, readers))
            {
                output = new TensorView(Storage.Fused, null, layer.Output);
                planned = new PlannedLayer(layer, inputs, output) { FusedIntoNext = true };
                views[s] = output;
                steps.Add(planned);
                continue;
            }
            switch (layer.Kind)
            {
                case LayerKind.ChannelShuffle:
                    {
                        // a view: logical channel o of the output is logical channel source[o] of the input
                        var source = layer.ShuffleSource();
                        var map = new int[source.Length];
                        for (int o = 0; o < map.Length; o++) map[o] = inputs[0].Plane(source[o]);
                        output = new TensorView(inputs[0].Buffer, IsIdentity(map) ? null : map, layer.Output);
                        planned = new PlannedLayer(layer, inputs, output);
                        break;
                    }
                case LayerKind.Relu6:
                case LayerKind.Add:
                    {
                        // in place on the tensor the layer transforms (Add: the block's output, input 1)
                        var target = inputs[layer.Kind == LayerKind.Add ? 1 : 0];
                        int producer = layer.Inputs[layer.Kind == LayerKind.Add ? 1 : 0];
                        if (target.Buffer < 0 || producer < 0 || readers[producer] != 1)
                        {
                            error = layer.Name + ": cannot run in place (its input is read elsewhere)";
                            return null;
                        }
                        output = target;
                        planned = new PlannedLayer(layer, inputs, output);
                        break;
                    }
                case LayerKind.ShiftMax when s != last && (long)layer.Output.H * layer.Output.W >= InPlaceShiftMaxPlane &&
                    SoleReader(network, readers, layer.Inputs[0]) && inputs[0].Buffer >= 0:
                    {
                        // in place: the mix of channel c overwrites plane c (the emitter orders the
                        // channels so that no partner plane is overwritten before it is read)
                        output = new TensorView(inputs[0].Buffer, inputs[0].ChannelMap, layer.Output);
                        planned = new PlannedLayer(layer, inputs, output);
                        AddShiftMaxTemps(planned, layer, s);
                        planned.Temps.Add(NewBuffer(layer.Name + " saved plane", (long)layer.Output.H * layer.Output.W, s));
                        break;
                    }
                default:
                    {
                        int buffer = s == last ? Storage.NetworkOutput : NewBuffer(layer.Name + " output", layer.Output.Elements, s);
                        output = new TensorView(buffer, null, layer.Output);
                        planned = new PlannedLayer(layer, inputs, output);
                        if (layer.Kind == LayerKind.ShiftMax) AddShiftMaxTemps(planned, layer, s);
                        break;
                    }
            }
            planned.FusedFrom = fusedFrom;
            views[s] = output;
            steps.Add(planned);
        }

        if (views[last].Buffer != Storage.NetworkOutput)
        {
            error = "the last layer does not produce the network output";
            return null;
        }

        // Offsets: largest buffers first, each at the lowest offset free during its lifetime.
        var placed = new List<PlannedBuffer>();
        foreach (var b in buffers.OrderByDescending(b => b.AlignedSize).ThenBy(b => b.FirstStep).ThenBy(b => b.Id))
        {
            var conflicts = placed.Where(p => p.FirstStep <= b.LastStep && b.FirstStep <= p.LastStep).OrderBy(p => p.Offset).ToList();
            long offset = 0;
            foreach (var c in conflicts)
            {
                if (offset + b.AlignedSize <= c.Offset) break;
                offset = System.Math.Max(offset, c.Offset + c.AlignedSize);
            }
            b.Offset = offset;
            placed.Add(b);
        }

        long arena = buffers.Count == 0 ? 0 : buffers.Max(b => b.Offset + b.AlignedSize);
        long lowerBound = 0;
        for (int s = 0; s <= last; s++)
            lowerBound = System.Math.Max(lowerBound, buffers.Where(b => b.FirstStep <= s && s <= b.LastStep).Sum(b => b.AlignedSize));
        long naive = buffers.Sum(b => b.AlignedSize);
        return new MemoryPlan(network, steps, buffers, arena, lowerBound, naive);
    }

    /// <summary>
    /// Smallest plane (floats) whose Shift-Max runs in place. A/B per layer on M2: planes of 28x28
    /// and more 0.80-0.89x (no fresh output buffer to pull into the cache), 14x14 about even, 7x7
    /// 1.13-1.17x (the partner order strides across the small planes where the plain loop walks them in order).
    /// On M3 with the threshold at 14x14: 1.03-1.09x per 14x14 Shift-Max, so 14x14 stays out of place.
    /// </summary>
    public const int InPlaceShiftMaxPlane = 28 * 28;

    /// <summary>
    /// Whether the layer about to read <paramref name="producer"/>'s output is the only reader of
    /// that buffer: following the views that share it (channel shuffles, in-place ReLU6 and
    /// residual adds) back to the layer that wrote it, every step has exactly one reader.
    /// </summary>
    private static bool SoleReader(Network network, int[] readers, int producer)
    {
        while (true)
        {
            if (producer < 0 || readers[producer] != 1) return false;
            var layer = network.Layers[producer];
            if (layer.Kind == LayerKind.ChannelShuffle || layer.Kind == LayerKind.Relu6) producer = layer.Inputs[0];
            else if (layer.Kind == LayerKind.Add) producer = layer.Inputs[1];
            else return true;
        }
    }

    private static bool IsIdentity(int[] map)
    {
        for (int i = 0; i < map.Length; i++) if (map[i] != i) return false;
        return true;
    }
}
