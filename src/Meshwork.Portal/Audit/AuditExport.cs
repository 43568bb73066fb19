using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Store;

namespace Meshwork.Portal.Audit;

/// <summary>Audit entries as CSV (RFC 4180) or JSON, for the Audit page's and the API's exports.</summary>
public static class AuditExport
{
    private static readonly string[] Columns =
        ["sequence", "at", "actor", "source", "action", "kind", "namespace", "name", "versionBefore", "versionAfter", "before", "after", "previousHash", "hash", "reason"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>A download of the entries, written to the response as it goes (no whole-file string).</summary>
    public static IResult Download(IReadOnlyList<AuditEntry> entries, string? format) =>
        string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)
            ? Results.Stream(output => WriteCsvAsync(output, entries), "text/csv", "meshwork-audit.csv")
            : Results.Stream(output => WriteJsonAsync(output, entries), "application/json", "meshwork-audit.json");

    public static async Task WriteCsvAsync(Stream output, IEnumerable<AuditEntry> entries)
    {
        await using var writer = new StreamWriter(output, Utf8, bufferSize: 16 * 1024, leaveOpen: true);
        await writer.WriteAsync(string.Join(',', Columns) + "\r\n");
        foreach (var e in entries)
        {
            string?[] fields =
            [
                e.Sequence.ToString(CultureInfo.InvariantCulture),
                e.At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                e.Actor, e.Source.ToString(), e.Action.ToString(), KindOf(e), e.Namespace, e.Name,
                e.VersionBefore?.ToString(CultureInfo.InvariantCulture), e.VersionAfter?.ToString(CultureInfo.InvariantCulture),
                e.BeforeJson, e.AfterJson, e.PreviousHash, e.Hash, e.Reason,
            ];
            await writer.WriteAsync(string.Join(',', fields.Select(Quote)) + "\r\n");
        }
    }

    /// <summary>A JSON array; the serializer flushes to <paramref name="output"/> whenever its buffer fills.</summary>
    public static Task WriteJsonAsync(Stream output, IEnumerable<AuditEntry> entries) =>
        JsonSerializer.SerializeAsync(output, entries.Select(e => new
        {
            e.Sequence, e.At, e.Actor, Source = e.Source.ToString(), Action = e.Action.ToString(), Kind = KindOf(e),
            e.Namespace, e.Name, e.VersionBefore, e.VersionAfter, e.BeforeJson, e.AfterJson, e.PreviousHash, e.Hash, e.Reason,
        }), Json);

    /// <summary>The resource kind, or "BootstrapToken" for a token's entry.</summary>
    private static string KindOf(AuditEntry e) => e.SubjectKind;

    /// <summary>Quote every field that needs it; also defuse spreadsheet formulas (a cell starting with = + - @).</summary>
    private static string Quote(string? field)
    {
        if (field is null)
            return "";
        if (field.Length > 0 && "=+-@".Contains(field[0]) && !long.TryParse(field, out _))
            field = "'" + field;
        return field.IndexOfAny([',', '"', '\r', '\n']) >= 0 || field != field.Trim()
            ? "\"" + field.Replace("\"", "\"\"") + "\""
            : field;
    }
}
