using System;

namespace MicroNet.Aot.Cli;

/// <summary>
/// A problem with the user's input (file, key, value) that ends the command with a message and a
/// non-zero exit code. Every message names the problem and the place.
/// </summary>
public sealed class CliError : Exception
{
    public CliError(string message) : base(message) { }
    public CliError(string message, Exception inner) : base(message, inner) { }
}
