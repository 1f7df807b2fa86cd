using System.Text.RegularExpressions;

namespace EvidenceBot.Core.Evidence;

/// <summary>
/// Keeps secrets out of evidence and logs: authorization and cookie headers, token-like URL parameters,
/// and every configured secret value wherever it appears.
/// </summary>
public sealed partial class Redactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "[REDACTED]";

    private static readonly HashSet<string> SecretHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "Api-Key", "X-Ms-Authorization-Auxiliary",
        "X-GitHub-Token", "Ocp-Apim-Subscription-Key",
    };

    private readonly List<string> _secrets;

    /// <summary>Creates a redactor that also masks each of <paramref name="secretValues"/>.</summary>
    public Redactor(IEnumerable<string>? secretValues = null)
    {
        // Longest first, so a secret that contains another is masked whole. Very short values would mask noise.
        _secrets = [.. (secretValues ?? []).Where(s => !string.IsNullOrEmpty(s) && s.Length >= 6).Distinct().OrderByDescending(s => s.Length)];
    }

    /// <summary>A redactor that masks nothing but the standard headers and URL parameters.</summary>
    public static Redactor Default { get; } = new();

    /// <summary>Adds a secret learnt at run time (e.g. a freshly minted installation token).</summary>
    public void AddSecret(string value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 6)
            return;
        lock (_secrets)
        {
            if (!_secrets.Contains(value))
            {
                _secrets.Add(value);
                _secrets.Sort((a, b) => b.Length.CompareTo(a.Length));
            }
        }
    }

    /// <summary>True when there is a configured (or learnt) secret to mask.</summary>
    public bool HasSecrets
    {
        get
        {
            lock (_secrets)
                return _secrets.Count > 0;
        }
    }

    /// <summary>True when a header's value must never be stored.</summary>
    public static bool IsSecretHeader(string name) => SecretHeaders.Contains(name);

    /// <summary>Masks configured secrets in any text.</summary>
    public string Text(string text)
    {
        if (string.IsNullOrEmpty(text))
            return text;
        lock (_secrets)
        {
            foreach (var s in _secrets)
            {
                if (text.Contains(s, StringComparison.Ordinal))
                    text = text.Replace(s, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>Masks token-like query parameters and user info in a URL, then configured secrets.</summary>
    public string Url(string url)
    {
        var masked = UserInfo().Replace(url, "$1" + Mask + "@");
        masked = SecretQuery().Replace(masked, m => m.Groups[1].Value + Mask);
        return Text(masked);
    }

    /// <summary>A header's value as it may be stored.</summary>
    public string Header(string name, string value) => IsSecretHeader(name) ? Mask : Text(value);

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"([?&](?:access_token|token|api[_-]?key|key|secret|client_secret|sig|signature|code|password|sv|se|sp|skoid|sktid)=)[^&#]*", RegexOptions.IgnoreCase)]
    private static partial Regex SecretQuery();
}
