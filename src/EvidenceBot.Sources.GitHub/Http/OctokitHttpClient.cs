using EvidenceBot.Sources.Http;
using Octokit;
using Octokit.Internal;

namespace EvidenceBot.Sources.GitHub.Http;

/// <summary>
/// Octokit's <see cref="IHttpClient"/> over a <see cref="SourceHttpStack"/> handler, with Octokit's own timers off.
/// Octokit gives every request a 100 s timeout (<c>Request.Timeout</c>) that its adapter turns into a cancellation,
/// and its HttpClient has HttpClient's 100 s: either would cut the stack's retries and rate-limit waits short (a
/// 40 s answer got two attempts instead of five, and the error read "The operation was canceled"). The stack's
/// per-attempt timeout and the rule's time bound are the only bounds.
/// </summary>
internal sealed class OctokitHttpClient : IHttpClient
{
    private readonly HttpClientAdapter _adapter;

    public OctokitHttpClient(Func<HttpMessageHandler> handler)
    {
        _adapter = new HttpClientAdapter(handler);
        _adapter.SetRequestTimeout(Timeout.InfiniteTimeSpan);
    }

    public Task<IResponse> Send(IRequest request, CancellationToken cancellationToken, Func<object, object>? preprocessResponseBody = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        WithoutTimeout(request);
        return _adapter.Send(request, cancellationToken, preprocessResponseBody!);
    }

    /// <summary>Zero is how Octokit's adapter reads "no timeout of mine".</summary>
    internal static void WithoutTimeout(IRequest request)
    {
        if (request is Request settable)
            settable.Timeout = TimeSpan.Zero;
    }

    // The stack, not HttpClient, bounds each attempt: whatever Octokit asks for, HttpClient keeps no timer.
    public void SetRequestTimeout(TimeSpan timeout) => _adapter.SetRequestTimeout(Timeout.InfiniteTimeSpan);

    public void Dispose() => _adapter.Dispose();
}
