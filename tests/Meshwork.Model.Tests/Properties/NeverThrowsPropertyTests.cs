using CsCheck;
using Meshwork.Model.Resources;
using Meshwork.Model.Serialization;
using Meshwork.Model.Tests.Validation;
using Meshwork.Model.Validation;

namespace Meshwork.Model.Tests.Properties;

/// <summary>
/// Properties over random input: the validator and the YAML reader never throw (and never hit
/// their last-resort catch, which would hide a bug), and what the writer writes reads back equal.
/// </summary>
public class NeverThrowsPropertyTests
{
    private static readonly ValidationContext Context = ValidationContext.From([Valid.Reviews, Valid.Ratings]);

    private static void AssertNoInternalFailure(IEnumerable<ValidationIssue> issues)
    {
        foreach (var issue in issues)
        {
            Assert.DoesNotContain("the validator failed", issue.Message);
            Assert.DoesNotContain("could not be read", issue.Message);
        }
    }

    [Fact]
    public void Validate_MalformedResources_NeverThrows() =>
        Gen.Int.Sample(seed =>
        {
            var resource = RandomResources.Malformed(seed);
            AssertNoInternalFailure(ResourceValidator.Validate(resource, Context).Issues);
            AssertNoInternalFailure(ResourceValidator.ValidateAll([resource, resource, null!], ValidationContext.From([resource])).Issues);
        }, iter: 3000);

    [Fact]
    public void WriteThenRead_SaneResources_RoundTrips() =>
        Gen.Int.Array[1, 4].Sample(seeds =>
        {
            var resources = seeds.Select(RandomResources.Sane).ToList();
            var yaml = ResourceYaml.Write(resources);
            var read = ResourceYaml.Read(yaml);
            Assert.True(read.Issues.Count == 0, string.Join("\n", read.Issues) + "\n" + yaml);
            Assert.Equal(resources.Select(MeshworkJson.Canonical), read.Resources.Select(MeshworkJson.Canonical));
            // The validator's verdict does not depend on which form the resource came through.
            Assert.Equal(ResourceValidator.ValidateAll(resources, Context).Issues, ResourceValidator.ValidateAll(read.Resources, Context).Issues);
        }, iter: 200);

    [Fact]
    public void Read_MutatedYaml_NeverThrows()
    {
        var corpus = ResourceYaml.Write(Valid.All);
        var mutation = Gen.Select(Gen.Int[0, corpus.Length], Gen.Int[0, 6], Gen.Int[0, 40], Gen.String);
        mutation.Array[1, 6].Sample(edits =>
        {
            var text = corpus;
            foreach (var (at, kind, length, insert) in edits)
            {
                var start = Math.Min(at, text.Length);
                var count = Math.Min(length, text.Length - start);
                text = kind switch
                {
                    0 => text.Remove(start, count),
                    1 => text.Insert(start, insert),
                    2 => text.Insert(start, Pieces[length % Pieces.Length]),
                    3 => text.Remove(start, count).Insert(start, Pieces[(length + 7) % Pieces.Length]),
                    4 => text.Insert(start, text.Substring(start, count)),
                    _ => text[..start] + text[start..].Replace("\n  ", "\n "),
                };
            }
            var read = ResourceYaml.Read(text);
            AssertNoInternalFailure(read.Issues);
            AssertNoInternalFailure(ResourceValidator.ValidateAll(read.Resources, ValidationContext.From(read.Resources)).Issues);
        }, iter: 600);
    }

    [Fact]
    public void Read_RandomText_NeverThrows() =>
        Gen.OneOf(Gen.String, Gen.String[Gen.Char["kind:metadata -[]{}&*!|>'\"#\n\t:,?%@`~"], 0, 200])
            .Sample(text => AssertNoInternalFailure(ResourceYaml.Read(text).Issues), iter: 2000);

    private static readonly string[] Pieces =
    [
        ": ", "- ", "[", "]", "{", "}", "&a ", "*a", "!!str ", "|\n", ">\n", "'", "\"", "#", "\t", "---\n", "...\n", "? ", "%YAML 1.2\n",
        "null", "~", "kind: Rollout\n", "kind: Nope\n", "\n    ", "<<: *a\n", "&b [*b]", "\u0000", "\uFEFF",
    ];
}

public class ValidResourcePropertyTests
{
    [Fact]
    public void Validate_GeneratedValidResources_HaveNoIssues() =>
        ValidResourceGen.Any.Sample(resource =>
        {
            var result = Meshwork.Model.Validation.ResourceValidator.Validate(resource, Valid.Context);
            Assert.True(result.Issues.Count == 0, string.Join("\n", result.Issues));
        }, iter: 500);

    [Fact]
    public void WriteThenRead_GeneratedValidResources_RoundTrips() =>
        ValidResourceGen.Any.Array[1, 5].Sample(resources =>
        {
            var read = ResourceYaml.Read(ResourceYaml.Write(resources));
            Assert.Empty(read.Issues);
            Assert.Equal(resources.Select(MeshworkJson.Canonical), read.Resources.Select(MeshworkJson.Canonical));
        }, iter: 300);
}
