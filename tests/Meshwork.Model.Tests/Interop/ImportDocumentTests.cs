using Meshwork.Model.Interop;

namespace Meshwork.Model.Tests.Interop;

/// <summary>What an import does with whole documents, whatever their format.</summary>
public class ImportDocumentTests
{
    [Fact]
    public void MalformedYaml_IsAnError_WithTheLine()
    {
        var result = ManifestImporter.Import("apiVersion: v1\nkind: [unclosed\n");
        Assert.Empty(result.Resources);
        Assert.Contains("line", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void DocumentsWithoutAnEquivalent_AreNotes_AndEmptyDocumentsAreSkipped()
    {
        var result = ManifestImporter.Import("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: c}
            ---
            # only a comment
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: e}
            """);
        Assert.Empty(result.Resources);
        Assert.Equal(["[0]", "[2]"], result.Messages.Select(m => m.Path));
        Assert.All(result.Messages, m => Assert.Equal(InteropSeverity.Note, m.Severity));
    }

    [Fact]
    public void ADocumentWithAnError_YieldsNothing_AndTheOthersStillTranslate()
    {
        var result = ManifestImporter.Import("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: a}
            spec:
              action: MAYBE
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: b}
            spec:
              action: DENY
              rules: [{to: [{operation: {paths: [/admin]}}]}]
            """);
        Assert.Equal(["b"], result.Resources.Select(r => r.Metadata.Name));
        Assert.Contains("MAYBE", result.At("[0].spec.action", InteropSeverity.Error).Message);
    }

    [Fact]
    public void WrongShapes_AreErrorsAtTheirPaths_NeverExceptions()
    {
        var result = ManifestImporter.Import("""
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: r}
            spec:
              parentRefs: {name: notalist}
              rules:
              - backendRefs: [{name: x, weight: heavy}]
            """);
        Assert.Empty(result.Resources);
        result.At("[0].spec.parentRefs", InteropSeverity.Error);
        Assert.Contains("heavy", result.At("[0].spec.rules[0].backendRefs[0].weight", InteropSeverity.Error).Message);
    }

    [Fact]
    public void MissingName_IsAnError() =>
        ManifestImporter.Import("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {}\nspec: {hosts: [a]}\n")
            .At("[0].metadata.name", InteropSeverity.Error);
}
