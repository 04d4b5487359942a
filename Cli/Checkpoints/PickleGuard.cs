using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace MicroNet.Aot.Cli.Checkpoints;

/// <summary>
/// Vets a pickle before anything decodes it: walks the opcode stream (without building objects)
/// and collects every global the pickle names (GLOBAL, INST, STACK_GLOBAL). A global outside the
/// allow-list, an extension-registry code (EXT1/2/4), a STACK_GLOBAL whose operands are not plain
/// string pushes, or an unknown opcode refuses the file. Razorvine.Pickle, which decodes the file
/// afterwards, maps unknown globals to inert dictionaries and never runs code; this guard is what
/// makes "refused, naming the global" exact, including globals that are referenced but never used.
/// </summary>
public static class PickleGuard
{
    /// <summary>Longest number written as text (FLOAT, INT, LONG, PERSID) a checkpoint may hold.</summary>
    public const int MaxNumberText = 64;

    /// <summary>Largest binary integer (LONG1, LONG4) in bytes: 128 bits.</summary>
    public const int MaxLongBytes = 16;

    /// <summary>Exactly the globals a PyTorch state_dict (and a training checkpoint around one) needs.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
    };

    /// <summary>
    /// Scans one pickle starting at <paramref name="start"/>; returns the offset just past its STOP
    /// opcode. Throws <see cref="CliError"/> naming the first problem.
    /// </summary>
    public static int Scan(byte[] data, int start, string where)
    {
        var memo = new Dictionary<long, string?>();
        var pending = new List<string?>(); // values pushed since the last opcode that was not a plain push
        int i = start;

        string Line()
        {
            int end = data.AsSpan(i).IndexOf((byte)'\n');
            if (end < 0) throw Bad("truncated pickle (a text argument has no end of line)");
            string s = Encoding.Latin1.GetString(data, i, end);
            i += end + 1;
            return s;
        }
        ReadOnlySpan<byte> Take(long n, byte[] d)
        {
            // n > d.Length - i, not i + n > d.Length: an 8-byte length near 2^63 would wrap the sum (BINUNICODE8)
            if (n < 0 || n > d.Length - i) throw Bad("truncated pickle (an argument runs past the end of the data)");
            var s = d.AsSpan(i, (int)n);
            i += (int)n;
            return s;
        }
        CliError Bad(string message) => new(where + ": " + message + " at byte " + i);
        void CheckGlobal(string module, string name)
        {
            string full = module + "." + name;
            if (!AllowedGlobals.Contains(full))
                throw new CliError(where + ": refused: the pickle references the global '" + full +
                    "', which a PyTorch state_dict never needs (allowed: " + string.Join(", ", AllowedGlobals) +
                    "). Nothing from this file was executed or written.");
        }
        void Push(string? value) => pending.Add(value);
        void Other() => pending.Clear();
        void Memoize(long key) => memo[key] = pending.Count > 0 ? pending[^1] : null;

        while (true)
        {
            if (i >= data.Length) throw Bad("truncated pickle (no STOP opcode)");
            byte op = data[i++];
            switch (op)
            {
                case (byte)'.': return i; // STOP
                case 0x80: Take(1, data); break; // PROTO
                case 0x95: Take(8, data); break; // FRAME
                // plain pushes of strings (tracked for STACK_GLOBAL)
                case 0x8c: Push(Encoding.UTF8.GetString(Take(Take(1, data)[0], data))); break; // SHORT_BINUNICODE
                case (byte)'X': Push(Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data)), data))); break;
                case 0x8d: Push(Encoding.UTF8.GetString(Take((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8, data)), data))); break;
                case (byte)'V': Push(Line()); break; // UNICODE (raw-unicode-escape; names are ASCII)
                case (byte)'U': Push(Encoding.Latin1.GetString(Take(Take(1, data)[0], data))); break; // SHORT_BINSTRING
                case (byte)'T': Push(Encoding.Latin1.GetString(Take(BinaryPrimitives.ReadInt32LittleEndian(Take(4, data)), data))); break;
                case (byte)'S': Push(Line().Trim('\'', '"')); break; // STRING
                // memo
                case (byte)'h': { long k = Take(1, data)[0]; Push(memo.GetValueOrDefault(k)); break; } // BINGET
                case (byte)'j': { long k = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data)); Push(memo.GetValueOrDefault(k)); break; }
                case (byte)'g': { Push(long.TryParse(Line(), out long k) ? memo.GetValueOrDefault(k) : null); break; }
                case (byte)'q': Memoize(Take(1, data)[0]); break; // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data))); break;
                case (byte)'p': Memoize(long.TryParse(Line(), out long pk) ? pk : -1); break;
                case 0x94: Memoize(memo.Count); break; // MEMOIZE
                // globals
                case (byte)'c': // GLOBAL module\nname\n
                case (byte)'i': // INST module\nname\n
                    { string module = Line(); string name = Line(); CheckGlobal(module, name); Other(); break; }
                case 0x93: // STACK_GLOBAL: module and name are the two values below the top
                    if (pending.Count < 2 || pending[^2] == null || pending[^1] == null)
                        throw Bad("refused: a STACK_GLOBAL whose module and name are not plain strings (obfuscated pickle)");
                    CheckGlobal(pending[^2]!, pending[^1]!);
                    Other();
                    break;
                case 0x82: case 0x83: case 0x84:
                    throw Bad("refused: the pickle uses the copyreg extension registry (EXT opcodes), which names globals indirectly");
                // other opcodes with arguments
                // numbers as text: a state_dict's fit in a few dozen characters; a huge literal would take
                // the decoder minutes (big-integer parsing), so it is refused
                case (byte)'F': case (byte)'I': case (byte)'L': case (byte)'P':
                    if (Line().Length > MaxNumberText) throw Bad("a number literal longer than " + MaxNumberText + " characters");
                    Other();
                    break;
                case (byte)'J': Take(4, data); Other(); break;
                case (byte)'K': Take(1, data); Other(); break;
                case (byte)'M': Take(2, data); Other(); break;
                case (byte)'G': Take(8, data); Other(); break;
                case 0x8a: // LONG1
                    {
                        int n = Take(1, data)[0];
                        if (n > MaxLongBytes) throw Bad("a LONG1 integer of " + n + " bytes (at most " + MaxLongBytes + ")");
                        Take(n, data);
                        Other();
                        break;
                    }
                case 0x8b: // LONG4: at most a 128-bit integer
                    {
                        int n = BinaryPrimitives.ReadInt32LittleEndian(Take(4, data));
                        if (n > MaxLongBytes) throw Bad("a LONG4 integer of " + n + " bytes (at most " + MaxLongBytes + ")");
                        Take(n, data);
                        Other();
                        break;
                    }
                case (byte)'B': Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, data)), data); Other(); break; // BINBYTES
                case (byte)'C': Take(Take(1, data)[0], data); Other(); break; // SHORT_BINBYTES
                case 0x8e: case 0x96: Take((long)BinaryPrimitives.ReadUInt64LittleEndian(Take(8, data)), data); Other(); break;
                // NEWOBJ / NEWOBJ_EX: torch.save never writes them (its state_dicts build objects with REDUCE);
                // applied to _rebuild_tensor_v2 they would call a function as a class, which torch.load refuses
                case 0x81: case 0x92:
                    i--;
                    throw Bad("refused: NEWOBJ" + (op == 0x92 ? "_EX" : "") + ", which a torch.save state_dict never contains");
                // opcodes without arguments
                case (byte)'(': case (byte)'0': case (byte)'1': case (byte)'2': case (byte)'N': case (byte)'Q':
                case (byte)'R': case (byte)'a': case (byte)'b': case (byte)'d': case (byte)'}': case (byte)'e':
                case (byte)'l': case (byte)']': case (byte)'o': case (byte)'s': case (byte)'t': case (byte)')':
                case (byte)'u': case 0x85: case 0x86: case 0x87: case 0x88: case 0x89:
                case 0x8f: case 0x90: case 0x91: case 0x97: case 0x98:
                    Other();
                    break;
                default:
                    i--;
                    throw Bad("not a pickle or an unsupported opcode 0x" + op.ToString("x2"));
            }
        }
    }
}
