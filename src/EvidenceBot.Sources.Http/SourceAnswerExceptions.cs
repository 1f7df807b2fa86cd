namespace EvidenceBot.Sources.Http;

/// <summary>A 2xx answer that claims to be JSON but is not (truncated, malformed). Never retried, never cached.</summary>
public sealed class MalformedResponseException : Exception
{
    /// <summary>Creates the exception; <paramref name="service"/> names who answered (e.g. <c>GitHub</c>).</summary>
    public MalformedResponseException(string url, string detail, string service = "The service")
        : base($"{service}'s answer to GET {url} is not valid JSON ({detail}): the response was truncated or malformed") => Url = url;

    /// <summary>The (redacted) URL that answered.</summary>
    public string Url { get; }
}

/// <summary>
/// A well-formed exchange whose answer is not what the endpoint returns (a 204 or 202 where a 200 with JSON is
/// documented, a page not labelled JSON, an object where a list was expected, an unreadable Link header, a 304
/// without a cached answer). Using it would turn missing data into an empty answer.
/// </summary>
public sealed class UnusableAnswerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The (redacted) URL that answered.</param>
    /// <param name="detail">What is wrong with the answer.</param>
    /// <param name="transient">Asking again later may succeed (e.g. a 202: the answer is still being computed).</param>
    /// <param name="service">Who answered, for the message (e.g. <c>GitHub</c>).</param>
    public UnusableAnswerException(string url, string detail, bool transient = false, string service = "The service")
        : base($"{service}'s answer to GET {url} cannot be used: {detail}")
    {
        Url = url;
        Transient = transient;
    }

    /// <summary>The (redacted) URL that answered.</summary>
    public string Url { get; }

    /// <summary>Asking again later may succeed.</summary>
    public bool Transient { get; }
}

/// <summary>
/// A request (a next-page link, a redirect) would have gone to an origin (scheme, host, port) other than the ones
/// the source's credentials are meant for. It is refused before anything is sent: a credential must never leave
/// the configured API origin, and data from elsewhere is no evidence about the configured estate.
/// </summary>
public sealed class ForeignOriginException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ForeignOriginException(string url, IReadOnlyList<Uri> allowed)
        : base($"refused to send a request to {url}: its origin is not the configured API origin ({string.Join(", ", allowed.Select(SourceHttpStack.Origin))}), "
            + "so its credentials must not go there (a next-page link or redirect pointed off the API)") => Url = url;

    /// <summary>The (redacted) URL that was refused.</summary>
    public string Url { get; }
}

/// <summary>No answer within the per-attempt timeout (<see cref="SourceHttpOptions.AttemptTimeout"/>).</summary>
public sealed class AttemptTimeoutException(string message) : TimeoutException(message);
