using Meshwork.Model.Resources;
using Meshwork.Model.Validation;
using static Meshwork.Model.Tests.Validation.ValidationAssert;

namespace Meshwork.Model.Tests.Validation;

/// <summary>A rollout's webhooks and its A/B header: each mistake named at its field.</summary>
public class RolloutWebhookValidationTests
{
    private static readonly RolloutWebhook Gate = new() { Name = "smoke", Url = "https://hooks.example.com/smoke", Type = RolloutWebhookType.PreStep };

    private static ValidationResult Validate(params RolloutWebhook[] webhooks) => ResourceValidator.Validate(Valid.Rollout with { Webhooks = webhooks }, Valid.Context);

    [Fact]
    public void Accepts_PreStepAndEventWebhooks() =>
        Clean(Validate(Gate, new RolloutWebhook { Name = "chat", Url = "http://127.0.0.1:9000/events", Timeout = TimeSpan.FromSeconds(2), Retries = 0 }));

    [Theory]
    [InlineData("hooks.example.com/x")]
    [InlineData("/relative")]
    [InlineData("ftp://hooks.example.com/x")]
    [InlineData("file:///etc/passwd")]
    public void Rejects_UrlThatIsNotAbsoluteHttp(string url) =>
        Single(Validate(Gate with { Url = url }), "webhooks[0].url", $"'{url}' is not an absolute http or https URL, such as https://hooks.example.com/rollouts");

    [Fact]
    public void Rejects_MissingUrl() =>
        Single(Validate(Gate with { Url = "" }), "webhooks[0].url", "is required");

    [Fact]
    public void Rejects_UrlWithCredentials() =>
        Single(Validate(Gate with { Url = "https://user:secret@hooks.example.com/x" }), "webhooks[0].url",
            "must not carry a user name or password: the URL is shown to every viewer of the rollout; the controller signs its requests instead");

    [Fact]
    public void Rejects_DuplicateName() =>
        Single(Validate(Gate, Gate with { Type = RolloutWebhookType.Event }), "webhooks[1].name", "duplicate webhook name 'smoke'; webhooks[0] has it too");

    [Fact]
    public void Rejects_NameThatIsNotALabel() =>
        Single(Validate(Gate with { Name = "Smoke Test" }), "webhooks[0].name",
            "'Smoke Test' is not a valid name: use 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit");

    [Theory]
    [InlineData(0, "must be longer than 0s, was 0s")]
    [InlineData(50, "must be at least 100ms, was 50ms")]
    [InlineData(61_000, "must be at most 1m, was 1m1s")]
    public void Rejects_TimeoutOutOfBounds(int milliseconds, string message) =>
        Single(Validate(Gate with { Timeout = TimeSpan.FromMilliseconds(milliseconds) }), "webhooks[0].timeout", message);

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Rejects_RetriesOutOfBounds(int retries) =>
        Single(Validate(Gate with { Retries = retries }), "webhooks[0].retries", $"must be between 0 and 10, was {retries}");

    [Fact]
    public void Rejects_UndefinedType() =>
        Single(Validate(Gate with { Type = (RolloutWebhookType)7 }), "webhooks[0].type", "'7' is not allowed here; use one of preStep, event");

    [Fact]
    public void Rejects_MoreThan16Webhooks() =>
        Single(Validate(Enumerable.Range(0, 17).Select(i => Gate with { Name = $"w{i}" }).ToArray()), "webhooks", "must have at most 16 items, has 17");

    [Fact]
    public void Accepts_CookieRegexAsCanaryHeader() =>
        Clean(ResourceValidator.Validate(Valid.Rollout with
        {
            CanaryHeader = new() { Name = "cookie", Type = StringMatchType.RegularExpression, Value = "(.*;\\s*)?canary=always(;.*)?" },
        }, Valid.Context));

    [Fact]
    public void Warns_ExactCookieMatch()
    {
        var issue = Assert.Single(ResourceValidator.Validate(Valid.Rollout with { CanaryHeader = new() { Name = "Cookie", Value = "canary=always" } }, Valid.Context).Issues);
        Assert.Equal(("canaryHeader.type", IssueSeverity.Warning), (issue.Path, issue.Severity));
        Assert.StartsWith("an exact match compares the whole Cookie header", issue.Message);
    }
}
