using Bunit;
using Meshwork.Portal.Audit;
using Meshwork.Portal.Components.Shared;

namespace Meshwork.Portal.Tests.Components;

public sealed class DiffViewTests : BunitContext
{
    [Fact]
    public void DiffView_ChangedPort_MarksOldLeftRemovedAndNewRightAdded()
    {
        var rows = LineDiff.Compute("""{"kind":"Service","port":8080,"protocol":"http"}""", """{"kind":"Service","port":9090,"protocol":"http"}""");
        var view = Render<DiffView>(p => p.Add(d => d.Rows, rows));

        var removed = view.FindAll("td.left.removed").Select(td => td.TextContent.Trim()).ToList();
        var added = view.FindAll("td.right.added").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal(["\"port\": 8080,"], removed);
        Assert.Equal(["\"port\": 9090,"], added);
        Assert.Contains(view.FindAll("tr.same td.left"), td => td.TextContent.Contains("\"protocol\": \"http\""));
    }

    [Fact]
    public void DiffView_Create_ShowsEveryLineAddedAndAnEmptyLeftSide()
    {
        var rows = LineDiff.Compute(null, """{"kind":"Service","port":8080}""");
        var view = Render<DiffView>(p => p.Add(d => d.Rows, rows));
        Assert.Empty(view.FindAll("td.left.removed"));
        Assert.Equal(4, view.FindAll("td.right.added").Count); // {, kind, port, }
    }

    [Fact]
    public void LineDiff_RemovedAndAddedLines_PairAsChangedRows()
    {
        var rows = LineDiff.Compute("""{"a":1,"b":2}""", """{"a":1,"b":3,"c":4}""");
        Assert.Contains(rows, r => r.Kind == DiffKind.Changed && r.Left!.Contains("\"b\": 2") && r.Right!.Contains("\"b\": 3"));
        Assert.Contains(rows, r => r.Kind == DiffKind.Added && r.Right!.Contains("\"c\": 4"));
    }
}
