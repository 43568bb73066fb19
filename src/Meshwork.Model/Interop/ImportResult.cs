using Meshwork.Model.Resources;

namespace Meshwork.Model.Interop;

/// <summary>What an import made: our resources (each valid) and every warning, note and error, by source path.</summary>
public sealed record ImportResult(IReadOnlyList<Resource> Resources, IReadOnlyList<InteropMessage> Messages)
{
    public IEnumerable<InteropMessage> Errors => Messages.Where(m => m.Severity == InteropSeverity.Error);
    public IEnumerable<InteropMessage> Warnings => Messages.Where(m => m.Severity == InteropSeverity.Warning);
}
