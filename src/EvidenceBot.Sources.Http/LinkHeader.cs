namespace EvidenceBot.Sources.Http;

/// <summary>
/// Reads a <c>Link</c> header as RFC 8288 writes it: <c>&lt;url&gt;; rel="next", &lt;url&gt;; rel=last</c>, the
/// relation quoted or not. Anything it cannot read is refused rather than skipped: a header that is present but
/// unreadable may hide a next page, and stopping there would turn page one into the whole answer.
/// </summary>
public static class LinkHeader
{
    /// <summary>The <c>rel="next"</c> target of <paramref name="header"/>; null when the header is absent or has no next page.</summary>
    /// <exception cref="UnusableAnswerException">The header is present but cannot be parsed.</exception>
    /// <param name="header">The Link header value (several header lines joined with ", ").</param>
    /// <param name="url">The URL the header answered, for the message.</param>
    /// <param name="service">Who answered, for the message (e.g. <c>GitHub</c>).</param>
    public static Uri? Next(string? header, string url, string service = "the service")
    {
        if (header is null)
            return null;
        var reader = new Reader(header, url, service);
        Uri? next = null;
        do
        {
            var (target, rel) = reader.LinkValue();
            if (rel is not null && rel.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("next", StringComparer.OrdinalIgnoreCase))
            {
                if (next is not null)
                    throw reader.Fail("it names two next pages");
                if (!Uri.TryCreate(target, UriKind.RelativeOrAbsolute, out next))
                    throw reader.Fail($"the next page '{target}' is not a URL");
            }
        }
        while (reader.NextValue());

        return next;
    }

    private sealed class Reader(string text, string url, string service)
    {
        private int _at;

        public UnusableAnswerException Fail(string why) =>
            new(url, $"its Link header cannot be parsed ({why}: '{text}'), so further pages cannot be followed; "
                + (service == "GitHub" ? "a proxy or GitHub Enterprise Server in front of the API may be rewriting it" : "a proxy in front of the API may be rewriting it"),
                service: service);

        public (string Target, string? Rel) LinkValue()
        {
            SkipSpace();
            if (!Take('<'))
                throw Fail($"expected '<' at position {_at}");
            var end = text.IndexOf('>', _at);
            if (end < 0)
                throw Fail("a '<' is never closed");
            var target = text[_at..end];
            _at = end + 1;
            string? rel = null;
            SkipSpace();
            while (Take(';'))
            {
                SkipSpace();
                var name = Token();
                if (name.Length == 0)
                    throw Fail($"expected a parameter name at position {_at}");
                SkipSpace();
                string? value = null;
                if (Take('='))
                {
                    SkipSpace();
                    value = Peek() == '"' ? Quoted() : Token();
                    if (value.Length == 0 && text[_at - 1] != '"')
                        throw Fail($"parameter '{name}' has no value");
                }

                if (string.Equals(name, "rel", StringComparison.OrdinalIgnoreCase))
                {
                    if (rel is not null)
                        throw Fail("a link has two rel parameters");
                    rel = value ?? throw Fail("rel has no value");
                }

                SkipSpace();
            }

            return (target, rel);
        }

        /// <summary>True when a ',' starts another link-value; false at the end; a fault on anything else.</summary>
        public bool NextValue()
        {
            SkipSpace();
            if (_at == text.Length)
                return false;
            if (!Take(','))
                throw Fail($"unexpected '{text[_at]}' at position {_at}");
            return true;
        }

        private string Quoted()
        {
            _at++; // the opening quote
            var value = new System.Text.StringBuilder();
            while (_at < text.Length)
            {
                var c = text[_at++];
                if (c == '"')
                    return value.ToString();
                if (c == '\\' && _at < text.Length)
                    c = text[_at++];
                value.Append(c);
            }

            throw Fail("a quoted value is never closed");
        }

        private string Token()
        {
            var start = _at;
            while (_at < text.Length && IsTokenChar(text[_at]))
                _at++;
            return text[start.._at];
        }

        // RFC 9110 tchar.
        private static bool IsTokenChar(char c) =>
            char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);

        private char? Peek() => _at < text.Length ? text[_at] : null;

        private bool Take(char c)
        {
            if (Peek() != c)
                return false;
            _at++;
            return true;
        }

        private void SkipSpace()
        {
            while (_at < text.Length && text[_at] is ' ' or '\t')
                _at++;
        }
    }
}
