using System.Globalization;
using System.Text.Json;

namespace Meshwork.Proxy.Tests.Runtime;

/// <summary>
/// The gen0 budget cap (src/Directory.Build.props) reaches the proxy as it ships. The native build parses its
/// embedded runtime settings in base 10 only, so a hex value there would silently mean no cap.
/// </summary>
public sealed class Gen0BudgetCapTests
{
    [Fact]
    public void ShippedRuntimeConfig_CapsGen0Budget_InDecimalBytes()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Meshwork.Proxy.runtimeconfig.json")));
        var value = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties")
            .GetProperty("System.GC.Gen0MaxBudget").ToString();

        Assert.True(ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes),
            $"System.GC.Gen0MaxBudget is '{value}', not decimal bytes");
        Assert.InRange(bytes, 1UL * 1024 * 1024, 64UL * 1024 * 1024);
    }
}
