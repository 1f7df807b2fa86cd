using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Sources.Http;

/// <summary>
/// Refuses, before anything is sent, a request to an origin that is not one of <see cref="SourceHttpOptions.AllowedOrigins"/>:
/// the credentials an SDK attached above must never leave the API they are for (a next-page link or a redirect to
/// another scheme, host or port). It sits above the ETag cache and the retries so a refused request costs nothing.
/// </summary>
internal sealed class OriginGuardHandler(SourceHttpStack stack, Redactor redactor, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && !stack.IsAllowedOrigin(uri))
            throw new ForeignOriginException(redactor.Url(uri.ToString()), stack.AllowedOrigins);
        return base.SendAsync(request, cancellationToken);
    }
}
