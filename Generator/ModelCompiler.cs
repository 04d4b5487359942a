// The generator's stages for one model file, in order: parse (Model/ModelSpecReader) -> lower
// (Model/Lowering/NetworkBuilder) -> check the manifest (Model/ManifestValidator) -> fusion and the
// memory plan (Planning/Fusion, MemoryPlanner) -> the execution plan (Planning/ExecutionPlanner);
// Emit() then prints a plan (Emit/Emitter). Every problem becomes a DiagnosticInfo with a location
// in the JSON; nothing here lets an exception escape.
using System;
using System.Collections.Generic;
using System.Linq;
using MicroNet.Aot.Diagnostics;
using MicroNet.Aot.Emit;
using MicroNet.Aot.Model;
using MicroNet.Aot.Model.Json;
using MicroNet.Aot.Model.Lowering;
using MicroNet.Aot.Pipeline;
using MicroNet.Aot.Planning;
using Microsoft.CodeAnalysis.Text;

namespace MicroNet.Aot;

internal static class ModelCompiler
{
    /// <summary>Stage 6: prints a plan; a bug in a printer becomes MNA0099, not an exception out of the generator.</summary>
    public static GenerationResult Emit(PlanResult result)
    {
        if (result.Int8 != null)
        {
            try { return new GenerationResult(result.HintName, result.Path, Int8Emitter.Emit(result.Int8), result.Diagnostics); }
            catch (Exception e)
            {
                var d = new DiagnosticInfo(DiagnosticDescriptors.InternalError, "internal error while emitting " + result.Int8.Class.SourceFileName + ": " + e.GetType().Name + ": " + e.Message +
                    ". Please report it with the model file.", result.Path, new TextSpan(0, 0), new LinePositionSpan(new LinePosition(0, 0), new LinePosition(0, 0)));
                return new GenerationResult(result.HintName, result.Path, null, new EquatableArray<DiagnosticInfo>(new[] { d }));
            }
        }
        if (result.Plan == null)
            return new GenerationResult(result.HintName, result.Path,
                result.StubClass == null ? null : Emitter.Stub(result.StubClass, result.StubNamespace, System.IO.Path.GetFileName(result.Path),
                    result.Diagnostics.Count > 0 ? result.Diagnostics[0].Id : DiagnosticDescriptors.InternalError), result.Diagnostics);
        try
        {
            return new GenerationResult(result.HintName, result.Path, Emitter.Emit(result.Plan), result.Diagnostics);
        }
        catch (Exception e)
        {
            var d = new DiagnosticInfo(DiagnosticDescriptors.InternalError, "internal error while emitting " + result.Plan.Class.SourceFileName + ": " + e.GetType().Name + ": " + e.Message +
                ". Please report it with the model file.", result.Path, new TextSpan(0, 0), new LinePositionSpan(new LinePosition(0, 0), new LinePosition(0, 0)));
            return new GenerationResult(result.HintName, result.Path, null, new EquatableArray<DiagnosticInfo>(new[] { d }));
        }
    }

    /// <summary>Stages 1-5: the model file to its execution plan, or to diagnostics.</summary>
    public static PlanResult Plan(ModelInput input)
    {
        var diagnostics = new List<DiagnosticInfo>();
        string fileName = System.IO.Path.GetFileName(input.Path);
        string hintBase = fileName.EndsWith(".micronet.json", StringComparison.OrdinalIgnoreCase) ? fileName.Substring(0, fileName.Length - ".micronet.json".Length) : fileName;
        try
        {
            var lines = LineStarts(input.Text);
            DiagnosticInfo At(string id, string message, TextPosition position)
            {
                int line = Math.Max(1, Math.Min(position.Line, lines.Count)) - 1;
                int start = Math.Min(lines[line] + Math.Max(0, position.Column - 1), input.Text.Length);
                var linePos = new LinePosition(line, start - lines[line]);
                return new DiagnosticInfo(id, message, input.Path, new TextSpan(start, start < input.Text.Length ? 1 : 0), new LinePositionSpan(linePos, linePos));
            }
            // the class a stub stands in for, when a model fails: the item's ClassName, else the JSON's name (else the file's stem)
            string? StubName(string? name) => name != null && IsIdentifier(name) && !Emitter.IsMemberName(name) ? name : null;
            string? requestedNs = input.Namespace ?? input.RootNamespace;
            string? stubNs = string.IsNullOrEmpty(requestedNs) || !requestedNs!.Split('.').All(IsIdentifier) ? null : requestedNs;
            string? stubClass = StubName(input.ClassName ?? hintBase);
            PlanResult Fail(IEnumerable<ModelIssue> issues)
            {
                foreach (var i in issues) diagnostics.Add(At(i.Id, (i.Path.Length > 0 ? i.Path + ": " : "") + i.Message, i.Position));
                string hint = stubClass == null ? hintBase : (stubNs == null ? "" : stubNs + ".") + stubClass + ".MicroNet.g.cs";
                return new PlanResult(hint, input.Path, null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()), stubClass, stubNs);
            }

            // stage 1: parse
            var spec = ModelSpecReader.Read(input.Text, requireWeights: true, out var readIssues);
            if (spec == null) return Fail(readIssues);
            stubClass = StubName(string.IsNullOrEmpty(input.ClassName) ? spec.Name : input.ClassName);

            string className = string.IsNullOrEmpty(input.ClassName) ? spec.Name : input.ClassName!;
            string? ns = input.Namespace ?? input.RootNamespace;
            var itemIssues = new List<ModelIssue>();
            if (!IsIdentifier(className))
                itemIssues.Add(new ModelIssue(DiagnosticDescriptors.InvalidItemMetadata, "ClassName \"" + className + "\" is not a valid C# identifier", "name", spec.Locate("name")));
            else if (Emitter.IsMemberName(className))
                itemIssues.Add(new ModelIssue(DiagnosticDescriptors.InvalidItemMetadata, "ClassName \"" + className + "\" is the name of a member of the generated class (a class cannot have a member of its own name): choose another ClassName", "name", spec.Locate("name")));
            if (!string.IsNullOrEmpty(ns) && !ns!.Split('.').All(IsIdentifier))
                itemIssues.Add(new ModelIssue(DiagnosticDescriptors.InvalidItemMetadata, "Namespace \"" + ns + "\" is not a valid C# namespace", "", spec.Locate("")));
            if (!input.WeightsExist)
                itemIssues.Add(new ModelIssue(IssueIds.MissingWeights, "the weights file \"" + spec.Weights!.File + "\" does not exist next to " + fileName +
                    " (run 'micronet import', or set Weights=\"...\" on the MicroNetModel item)", "weights.file", spec.Locate("weights.file")));
            else if (input.WeightsFile != null && !string.Equals(input.WeightsFile, spec.Weights!.File, StringComparison.Ordinal))
                itemIssues.Add(new ModelIssue(DiagnosticDescriptors.WeightsFileMismatch, "the model names \"" + spec.Weights.File + "\" but the build embeds \"" + input.WeightsFile +
                    "\" (rename the blob, or set Weights=\"" + spec.Weights.File + "\" on the MicroNetModel item)", "weights.file", spec.Locate("weights.file")));
            // the blob's SHA-256, hashed by MSBuild (MicroNet.Aot.targets), against the JSON's: a blob
            // from another import is a build error here, not an exception at the first Run
            else if (input.WeightsSha256 != null && !string.Equals(input.WeightsSha256, spec.Weights!.Sha256, StringComparison.OrdinalIgnoreCase))
                itemIssues.Add(new ModelIssue(IssueIds.WeightsMismatch, "the weights file \"" + (input.WeightsFile ?? spec.Weights.File) + "\" has SHA-256 " +
                    input.WeightsSha256.ToLowerInvariant() + ", but " + fileName + " was written with a blob of SHA-256 " + spec.Weights.Sha256 +
                    ": use the blob written together with this JSON (or run 'micronet import' again)", "weights.sha256", spec.Locate("weights.sha256")));
            if (itemIssues.Count > 0) return Fail(itemIssues);

            // stage 2: the lowered layer graph, and the manifest checked against it
            var network = NetworkBuilder.Build(spec, out var archIssues);
            if (network == null) return Fail(archIssues);
            var manifestIssues = ManifestValidator.Check(spec, network);
            if (manifestIssues.Count > 0) return Fail(manifestIssues);
            // int8 models (format micronet/2): their own planner and emitter (Planning/Int8Planner.cs, Emit/Int8Emitter.cs)
            if (spec.Quantization != null)
            {
                var int8Target = new ClassInfo(className, string.IsNullOrEmpty(ns) ? null : ns, input.ResourceName ?? "MicroNet.Aot.Weights." + spec.Weights!.File, fileName, input.Profile, input.ParallelMinMicroseconds);
                Int8Plan? int8;
                string? int8Error;
                try { int8 = Int8Planner.Plan(network, spec, int8Target, out int8Error); }
                catch (InvalidOperationException e) { int8 = null; int8Error = e.Message; }
                if (int8 == null)
                    return Fail(new[] { new ModelIssue(IssueIds.InvalidQuantization, "the int8 model cannot be compiled: " + int8Error, "quantization", spec.Locate("quantization")) });
                string int8Hint = (int8Target.Namespace == null ? "" : int8Target.Namespace + ".") + className + ".MicroNet.g.cs";
                return new PlanResult(int8Hint, input.Path, null, EquatableArray<DiagnosticInfo>.Empty, Int8: int8);
            }

            // stages 3-4: fusion and the memory plan
            var plan = MemoryPlanner.Plan(network, out string? planError);
            if (plan == null)
                return Fail(new[] { new ModelIssue(DiagnosticDescriptors.InternalError, "memory planning failed: " + planError, "", spec.Locate("")) });
            // the generated class states these as int constants (and allocates the arena as an array)
            var tooLarge = new List<ModelIssue>();
            void Fits(long value, string what)
            {
                if (value > int.MaxValue)
                    tooLarge.Add(new ModelIssue(IssueIds.InvalidValue, what + " is " + value + " floats, more than an int (and an array) can hold: use a smaller input", "input", spec.Locate("input")));
            }
            Fits(network.InputShape.Elements, "the input (InputLength)");
            Fits(plan.ArenaLength, "the scratch arena (ScratchLength)");
            Fits(plan.LowerBound, "the memory plan's lower bound (ScratchLowerBound)");
            Fits(plan.NaiveSum, "the intermediate tensors without reuse (ScratchWithoutReuse)");
            if (tooLarge.Count > 0) return Fail(tooLarge.Take(1));

            // stage 5: the execution plan (every decision; Emit only prints it)
            var target = new ClassInfo(className, string.IsNullOrEmpty(ns) ? null : ns, input.ResourceName ?? "MicroNet.Aot.Weights." + spec.Weights!.File, fileName, input.Profile, input.ParallelMinMicroseconds);
            var execution = ExecutionPlanner.Build(plan, target, out string? stepError);
            if (execution == null)
                return Fail(new[] { new ModelIssue(DiagnosticDescriptors.InternalError, "execution planning failed: " + stepError, "", spec.Locate("")) });
            string hint = (target.Namespace == null ? "" : target.Namespace + ".") + className + ".MicroNet.g.cs";
            return new PlanResult(hint, input.Path, execution, EquatableArray<DiagnosticInfo>.Empty);
        }
        catch (Exception e)
        {
            // A bug, not a user error: still a diagnostic, never an exception out of the generator.
            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InternalError, "internal error while compiling " + fileName + ": " + e.GetType().Name + ": " + e.Message +
                ". Please report it with the model file.", input.Path, new TextSpan(0, 0), new LinePositionSpan(new LinePosition(0, 0), new LinePosition(0, 0))));
            return new PlanResult(hintBase, input.Path, null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }
    }

    private static List<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++) if (text[i] == '\n') starts.Add(i + 1);
        return starts;
    }

    /// <summary>A name that is an identifier and not a C# keyword.</summary>
    private static bool IsIdentifier(string s) =>
        ModelSpecReader.IsIdentifier(s) &&
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(s) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None;
}
