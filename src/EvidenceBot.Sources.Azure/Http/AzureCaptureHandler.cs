using System.Text;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Core.Rules;
using EvidenceBot.Sources.Http;

namespace EvidenceBot.Sources.Azure.Http;

/// <summary>
/// Captures each final answer (after retries) as a redacted <see cref="HttpExchange"/>, with the request body of a POST
/// (Resource Graph queries, Policy Insights summaries) so a replay can tell two queries apart. The record is built by
/// the shared <see cref="CapturingHandler"/>; this adds the request body, and hands the exchange to the coalesced read
/// that asked (<see cref="ExchangeCollector"/>), which attaches it to every rule that shares the answer.
/// </summary>
internal sealed class AzureCaptureHandler : DelegatingHandler
{
    private readonly CapturingHandler _recorder;
    private readonly Redactor _redactor;
    private readonly IExchangeSink? _sink;

    public AzureCaptureHandler(Redactor redactor, TimeProvider time, IExchangeSink? sink, HttpMessageHandler inner) : base(inner)
    {
        _recorder = new CapturingHandler(AzureFaults.Source, redactor, time);
        _redactor = redactor;
        _sink = sink;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? requestBody = null;
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var copy = new ByteArrayContent(bytes);
            foreach (var h in request.Content.Headers)
                copy.Headers.TryAddWithoutValidation(h.Key, h.Value);
            request.Content = copy;
            requestBody = _redactor.Text(Encoding.UTF8.GetString(bytes));
        }

        // The evidence names the URL the source asked for, even if a handler below rewrote it (a test's loopback).
        var asked = request.RequestUri;
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        request.RequestUri = asked;
        var body = await CapturingHandler.BufferAsync(response, cancellationToken).ConfigureAwait(false);
        var exchange = _recorder.Capture(request, response, body) with { RequestBody = requestBody };
        if (ExchangeCollector.Current is { } collector)
            collector.Add(exchange);
        else
            RuleContext.Current?.AttachEvidence(exchange);
        _sink?.Add(exchange);
        response.RequestMessage ??= request;
        return response;
    }
}

/// <summary>The exchanges one coalesced read made; attached to each rule that gets its answer.</summary>
internal sealed class ExchangeCollector
{
    private static readonly AsyncLocal<ExchangeCollector?> CurrentCollector = new();
    private readonly List<HttpExchange> _items = [];

    public static ExchangeCollector? Current
    {
        get => CurrentCollector.Value;
        set => CurrentCollector.Value = value;
    }

    public IReadOnlyList<HttpExchange> Items
    {
        get
        {
            lock (_items)
                return [.. _items];
        }
    }

    public void Add(HttpExchange exchange)
    {
        lock (_items)
            _items.Add(exchange);
    }
}
