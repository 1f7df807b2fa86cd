using System.Net;
using System.Text;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Http.Tests;

/// <summary>An in-process transport for timing tests on a fake clock (a loopback server cannot wait on one).</summary>
internal sealed class StubTransport(Func<HttpRequestMessage, int, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    private int _attempts;

    public int Attempts => _attempts;

    public List<string?> Authorizations { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _attempts);
        lock (Authorizations)
            Authorizations.Add(request.Headers.Authorization?.ToString());
        return answer(request, n, cancellationToken);
    }

    public static HttpResponseMessage Json(string body, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("eb-http-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TestSupport
{
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    public static RuleContext EnterContext(string id = "TEST")
    {
        var manifest = new RuleManifest { Id = id, Title = "test", SourcePath = "test.csx", SourceSha256 = "" };
        var context = new RuleContext(manifest, "t", new Dictionary<string, System.Text.Json.JsonElement>(), TimeProvider.System, CancellationToken.None);
        context.Enter();
        return context;
    }

    /// <summary>Runs <paramref name="work"/> while moving a fake clock forward, so waits on it pass without sleeping.</summary>
    public static async Task<T> WhileClockRuns<T>(FakeTimeProvider clock, Func<Task<T>> work)
    {
        var task = Task.Run(work);
        var guard = DateTime.UtcNow.AddSeconds(30); // a real-time guard, so a wait that ignores the fake clock fails instead of hanging
        while (!task.IsCompleted)
        {
            if (DateTime.UtcNow > guard)
                throw new TimeoutException("the work did not finish on the fake clock within 30 s of real time");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(task, Task.Delay(2));
        }

        return await task;
    }
}
