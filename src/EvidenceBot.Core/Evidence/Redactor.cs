using System.Text.RegularExpressions;

namespace EvidenceBot.Core.Evidence;

/// <summary>
/// Keeps secrets out of evidence and logs: authorization and cookie headers, token-like URL parameters,
/// and every configured secret value wherever it appears, raw or encoded: a secret echoed inside a JSON string
/// (any character written <c>\u002D</c>, <c>\/</c>) or percent-encoded in a URL or form (<c>%2D</c>), in any mix,
/// is masked like the raw value.
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
    private Regex? _encoded;

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
                _encoded = null;
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

            // Encoded forms need an escape character; most text has none, and then the raw pass was enough.
            if (_secrets.Count > 0 && (text.Contains('\\', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal)))
                text = Encoded().Replace(text, Mask);
        }

        return text;
    }

    /// <summary>
    /// One pattern for every secret, longest first, in which each character may also appear JSON-escaped
    /// (<c>\uXXXX</c> any case, or <c>\/</c>, <c>\\</c>, <c>\"</c>) or percent-encoded (<c>%XX</c>, UTF-8 bytes, any case).
    /// Built once per set of secrets; called under the lock.
    /// </summary>
    private Regex Encoded()
    {
        if (_encoded is not null)
            return _encoded;
        var alternatives = _secrets.Select(s => string.Concat(s.Select(CharPattern)));
        _encoded = new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
        return _encoded;
    }

    private static readonly Dictionary<char, string> ShortEscapes = new()
    {
        ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t", ['\b'] = "\\b", ['\f'] = "\\f",
    };

    private static string CharPattern(char c)
    {
        var forms = new List<string> { Regex.Escape(c.ToString()), $@"\\u(?i:{(int)c:X4})" };
        if (c is '/' or '\\' or '"')
            forms.Add(Regex.Escape("\\" + c));
        // JSON's short escapes for control characters (a PEM key's line breaks).
        if (ShortEscapes.TryGetValue(c, out var shortForm))
            forms.Add(Regex.Escape(shortForm));
        var utf8 = System.Text.Encoding.UTF8.GetBytes(c.ToString());
        forms.Add(string.Concat(utf8.Select(b => $"%(?i:{b:X2})")));
        return "(?:" + string.Join("|", forms) + ")";
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
