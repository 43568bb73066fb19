using Meshwork.Model.Resources;

namespace Meshwork.Model.Validation.Rules;

/// <summary>A rollout's webhooks: gates before each step and receivers of its events (Flagger's webhooks).</summary>
internal static class RolloutWebhookRules
{
    public const int MaxWebhooks = 16;
    public const int MaxRetries = 10;
    public const int MaxUrlLength = 2048;
    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A gate is called again every controller round while it refuses, so one attempt with all its
    /// retries must stay short; a longer check belongs behind the webhook, answering non-2xx until done.
    /// </summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(1);

    public static void Check(Checks checks, IReadOnlyList<RolloutWebhook>? webhooks)
    {
        if (!checks.MaxItems("webhooks", webhooks, MaxWebhooks))
            return;
        checks.Each("webhooks", webhooks, (path, webhook) =>
        {
            checks.DnsLabel($"{path}.name", webhook.Name);
            Url(checks, $"{path}.url", webhook.Url);
            checks.Defined($"{path}.type", webhook.Type);
            checks.PositiveDuration($"{path}.timeout", webhook.Timeout, MaxTimeout, MinTimeout);
            checks.Range($"{path}.retries", webhook.Retries, 0, MaxRetries);
        });
        checks.NoDuplicates("webhooks", webhooks, w => w.Name, "name", "webhook name");
    }

    private static void Url(Checks checks, string path, string? value)
    {
        if (!checks.Required(path, value))
            return;
        if (value!.Length > MaxUrlLength)
            checks.Error(path, $"must be at most {MaxUrlLength} characters, has {value.Length}");
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
            checks.Error(path, $"'{value}' is not an absolute http or https URL, such as https://hooks.example.com/rollouts");
        else if (uri.UserInfo.Length > 0)
            checks.Error(path, "must not carry a user name or password: the URL is shown to every viewer of the rollout; the controller signs its requests instead");
    }
}
