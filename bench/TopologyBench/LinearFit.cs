namespace TopologyBench;

/// <summary>
/// The least-squares line through (x, y) points, with the standard error of its slope: memory per client is the slope
/// of the heap over the number of clients, read at several counts, so that no single reading (taken while the shared
/// views are mid-change, or a message is mid-write) decides it, and the error says how far the figure can be trusted.
/// </summary>
internal sealed record LinearFit(double Slope, double Intercept, double SlopeStandardError)
{
    public static LinearFit Of(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Select(p => p.X).Distinct().Count() < 2)
            throw new ArgumentException("a line needs points at two x values at least", nameof(points));
        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        var sxy = points.Sum(p => (p.X - meanX) * (p.Y - meanY));
        var slope = sxy / sxx;
        var intercept = meanY - slope * meanX;
        var residuals = points.Sum(p => Math.Pow(p.Y - (intercept + slope * p.X), 2));
        var standardError = points.Count > 2 ? Math.Sqrt(residuals / (points.Count - 2) / sxx) : double.NaN;
        return new LinearFit(slope, intercept, standardError);
    }
}
