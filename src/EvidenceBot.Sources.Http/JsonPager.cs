using System.Text.Json;

namespace EvidenceBot.Sources.Http;

/// <summary>How <see cref="JsonPager"/> reads one list endpoint.</summary>
public sealed record JsonPagerOptions
{
    /// <summary>The property of each page holding its items (Azure: <c>value</c>); null when the page is the array itself (GitHub).</summary>
    public string? ItemsProperty { get; init; } = "value";

    /// <summary>The property naming the next page's URL (Azure: <c>nextLink</c>); null to follow only the RFC 8288 Link header.</summary>
    public string? NextLinkProperty { get; init; } = "nextLink";

    /// <summary>More pages than this is a fault: a partial list is never returned as the whole.</summary>
    public int MaxPages { get; init; } = 100;
}

/// <summary>
/// Reads every page of a JSON list over a plain <see cref="HttpClient"/> on a <see cref="SourceHttpStack"/>: each page
/// must be a strict JSON answer (<see cref="StrictJson"/>); the next page comes from <c>Link: rel="next"</c> or the body's
/// next link; a next page on another origin (<see cref="ForeignOriginException"/>), one already read, or more than
/// <see cref="JsonPagerOptions.MaxPages"/> pages is refused.
/// </summary>
public static class JsonPager
{
    /// <summary>The items of every page, in order.</summary>
    public static async Task<IReadOnlyList<JsonElement>> GetAllAsync(HttpClient client, SourceHttpStack stack, Uri first, JsonPagerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(options);
        var items = new List<JsonElement>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Uri? next = first;
        var pages = 0;
        while (next is not null)
        {
            stack.EnsureAllowedOrigin(next);
            var url = stack.Redactor.Url(next.ToString());
            if (!seen.Add(next.AbsoluteUri))
                throw new UnusableAnswerException(url, "a next link names a page that was already read", service: stack.Service);
            if (++pages > Math.Max(1, options.MaxPages))
                throw new UnusableAnswerException(url, $"the list has more than {options.MaxPages} page(s) and only {options.MaxPages} may be read (a partial list is never returned as the whole)", service: stack.Service);
            using var response = await client.GetAsync(next, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var page = StrictJson.Parse(response.StatusCode, response.Content.Headers.ContentType?.ToString(), body, url,
                options.ItemsProperty is null ? JsonValueKind.Array : JsonValueKind.Object, stack.Service);
            var list = page;
            if (options.ItemsProperty is { } property
                && (!page.TryGetProperty(property, out list) || list.ValueKind != JsonValueKind.Array))
                throw new UnusableAnswerException(url, $"expected a page with a '{property}' array", service: stack.Service);
            items.AddRange(list.EnumerateArray());

            var link = response.Headers.TryGetValues("Link", out var values) ? LinkHeader.Next(string.Join(", ", values), url, stack.Service) : null;
            var bodyLink = options.NextLinkProperty is { } nl ? StrictJson.NextFromBody(page, nl, url, stack.Service) : null;
            if (link is not null && bodyLink is not null && !string.Equals(new Uri(next, link).AbsoluteUri, new Uri(next, bodyLink).AbsoluteUri, StringComparison.Ordinal))
                throw new UnusableAnswerException(url, "its Link header and its body name different next pages", service: stack.Service);
            next = link is not null ? new Uri(next, link) : bodyLink is not null ? new Uri(next, bodyLink) : null;
        }

        return items;
    }
}
