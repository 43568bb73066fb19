namespace Meshwork.Portal.Tests.Deployments;

/// <summary>Progress collected in order, on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SynchronousProgress(List<string> lines) : IProgress<string>
{
    public void Report(string value)
    {
        lock (lines) lines.Add(value);
    }
}
