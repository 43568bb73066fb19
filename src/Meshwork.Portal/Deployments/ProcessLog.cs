using System.Text;

namespace Meshwork.Portal.Deployments;

/// <summary>
/// A process's output file, kept bounded: the process appends (O_APPEND, from the shell that started
/// it), and past the limit the driver moves the content to "&lt;file&gt;.1" and empties the file in place,
/// so the writer keeps appending at the new end. At most about twice the limit is ever kept.
/// </summary>
public sealed class ProcessLog(string path, long maxBytes)
{
    public string Path { get; } = path;

    private string Previous => Path + ".1";

    /// <summary>Rotates when the file outgrew the limit; called from the supervision loop.</summary>
    public void Trim()
    {
        var info = new FileInfo(Path);
        if (!info.Exists || info.Length <= maxBytes) return;
        File.Copy(Path, Previous, overwrite: true);
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.SetLength(0);
    }

    /// <summary>The last <paramref name="maxBytes"/> bytes written (the previous file's tail first), as text.</summary>
    public async Task<string> TailAsync(int maxBytes, CancellationToken ct)
    {
        var current = await TailOfAsync(Path, maxBytes, ct);
        var previous = current.Length < maxBytes ? await TailOfAsync(Previous, maxBytes - current.Length, ct) : [];
        // A tail may start inside a UTF-8 sequence or a line: the decoder replaces the partial character.
        return Encoding.UTF8.GetString([.. previous, .. current]);
    }

    private static async Task<byte[]> TailOfAsync(string file, int maxBytes, CancellationToken ct)
    {
        if (maxBytes <= 0 || !File.Exists(file)) return [];
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        var count = (int)Math.Min(length, maxBytes);
        stream.Seek(length - count, SeekOrigin.Begin);
        var buffer = new byte[count];
        // The file may be emptied by a rotation meanwhile: keep what could be read.
        var read = await stream.ReadAtLeastAsync(buffer, count, throwOnEndOfStream: false, ct);
        return buffer[..read];
    }
}
