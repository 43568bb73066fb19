using Meshwork.Model.Policy;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Policy;

public sealed class RequestPathNormalizerTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/admin", "/admin")]
    [InlineData("/admin/", "/admin/")]
    [InlineData("//admin", "/admin")]
    [InlineData("///admin//keys///", "/admin/keys/")]
    [InlineData("/admin/../admin", "/admin")]
    [InlineData("/public/../admin", "/admin")]
    [InlineData("/public/..//admin", "/admin")]
    [InlineData("/./admin", "/admin")]
    [InlineData("/admin/.", "/admin/")]
    [InlineData("/admin/..", "/")]
    [InlineData("/../../admin", "/admin")]
    [InlineData("/a//../b", "/a/b")]
    [InlineData("/%61dmin", "/admin")]
    [InlineData("/%41DMIN", "/ADMIN")]
    [InlineData("/%2e%2e/admin", "/admin")]
    [InlineData("/public/%2E%2E/admin", "/admin")]
    [InlineData("/admin\\keys", "/admin/keys")]
    [InlineData("\\admin", "/admin")]
    [InlineData("/a%20b", "/a b")]
    [InlineData("/caf%C3%A9", "/café")]
    [InlineData("/a%3Fb", "/a?b")]
    [InlineData("/%252e%252e/admin", "/%2e%2e/admin")] // decoded once: the literal "%2e" is no dot segment
    [InlineData("/a%252Fb", "/a%2Fb")]
    [InlineData("/...", "/...")]
    [InlineData("/.hidden/..x", "/.hidden/..x")]
    public void Normalize_MergeSlashes(string raw, string expected)
    {
        var result = RequestPathNormalizer.Normalize(raw, PathNormalization.MergeSlashes);
        Assert.Null(result.Error);
        Assert.Equal(expected, result.Path);
    }

    [Theory]
    [InlineData("/admin%2F..", "/")]
    [InlineData("/public%2F..%2Fadmin", "/admin")]
    [InlineData("/admin%2fkeys", "/admin/keys")]
    [InlineData("/admin%5Ckeys", "/admin/keys")]
    [InlineData("/%2F%2Fadmin", "/admin")]
    [InlineData("/a%252Fb", "/a%2Fb")]
    public void Normalize_DecodeAndMergeSlashes_DecodesEncodedSlashesFirst(string raw, string expected)
    {
        var result = RequestPathNormalizer.Normalize(raw, PathNormalization.DecodeAndMergeSlashes);
        Assert.Null(result.Error);
        Assert.Equal(expected, result.Path);
    }

    [Theory]
    [InlineData("/admin%2F..")]
    [InlineData("/public%2f..%2fadmin")]
    [InlineData("/admin%5Ckeys")]
    [InlineData("/admin%5c..")]
    public void Normalize_MergeSlashes_RefusesEncodedSlashes(string raw)
    {
        var result = RequestPathNormalizer.Normalize(raw, PathNormalization.MergeSlashes);
        Assert.Null(result.Path);
        Assert.StartsWith("an encoded slash (%", result.Error);
        Assert.Contains("pathNormalization: DecodeAndMergeSlashes", result.Error);
    }

    [Theory]
    [InlineData("/a%00b", "an encoded NUL (%00) is not allowed in a path")]
    [InlineData("/a%zzb", "'%' must be followed by two hex digits (at character 2)")]
    [InlineData("/a%2", "'%' must be followed by two hex digits (at character 2)")]
    [InlineData("/a%", "'%' must be followed by two hex digits (at character 2)")]
    [InlineData("/a%C3", "the percent-decoded path is not valid UTF-8")]
    [InlineData("/a%FFb", "the percent-decoded path is not valid UTF-8")]
    [InlineData("admin", "the path must start with '/', was 'admin'")]
    [InlineData("", "the path must start with '/', was ''")]
    public void Normalize_Refuses(string raw, string error)
    {
        foreach (var mode in Enum.GetValues<PathNormalization>())
            Assert.Equal(new RequestPathNormalizer.Result(null, error), RequestPathNormalizer.Normalize(raw, mode));
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/admin/keys", true)]
    [InlineData("/admin/", true)]
    [InlineData("/...", true)]
    [InlineData("//", false)]
    [InlineData("//admin", false)]
    [InlineData("/admin//", false)]
    [InlineData("/admin/.", false)]
    [InlineData("/./admin", false)]
    [InlineData("/admin/..", false)]
    [InlineData("/%61", false)]
    [InlineData("/a\\b", false)]
    [InlineData("admin", false)]
    [InlineData("", false)]
    public void IsNormal_OnlyWhenNormalisingChangesNothing(string raw, bool normal)
    {
        Assert.Equal(normal, RequestPathNormalizer.IsNormal(raw));
        if (normal)
            Assert.Same(raw, RequestPathNormalizer.Normalize(raw, PathNormalization.MergeSlashes).Path);
    }

    [Theory]
    [InlineData("//a/./b/../c%2Fd")]
    [InlineData("/%252e%252e//x")]
    [InlineData("/A%5Cb/..")]
    public void Normalize_IsIdempotent(string raw)
    {
        // A proxy forwards the normalised path; the next proxy normalises it again and must read the same.
        var once = RequestPathNormalizer.Normalize(raw, PathNormalization.DecodeAndMergeSlashes).Path!;
        var reEncoded = Uri.EscapeDataString(once).Replace("%2F", "/", StringComparison.Ordinal);
        Assert.Equal(once, RequestPathNormalizer.Normalize(reEncoded, PathNormalization.MergeSlashes).Path);
    }
}
