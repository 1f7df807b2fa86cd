using System.Collections.Concurrent;
using EvidenceBot.Core.Evidence;
using EvidenceBot.Sources.Azure.Tests.Fake;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Sources.Azure.Tests;

/// <summary>Options pointing the real source at the fake, through the test-only loopback rewrite and a client secret.</summary>
internal static class TestSupport
{
    public const string Secret = "fake-client-secret-value-42";
    public static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    /// <summary>Waits the source asked for; none is slept.</summary>
    public sealed class Waits
    {
        public ConcurrentQueue<TimeSpan> Asked { get; } = new();

        public Task Delay(TimeSpan wait, CancellationToken ct)
        {
            Asked.Enqueue(wait);
            return Task.CompletedTask;
        }
    }

    public static AzureSourceOptions Options(FakeArm fake, Waits? waits = null) => new()
    {
        Subscriptions = [.. fake.Subscriptions.Select(s => s.Id)],
        TenantId = FakeArm.TenantId,
        Cloud = "custom",
        ArmEndpoint = new Uri($"https://{FakeArm.ArmHost}/"),
        ArmAudience = $"https://{FakeArm.ArmHost}/",
        GraphEndpoint = new Uri("https://graph.fake.test/"),
        AuthorityHost = new Uri("https://login.fake.test/"),
        Credential = AzureCredentialKind.ClientSecret,
        ClientId = "c0ffee00-0000-0000-0000-000000000001",
        ClientSecret = Secret,
        Transport = new LoopbackRewrite(fake.BaseUrl),
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        Delay = (waits ?? new Waits()).Delay,
    };

    public static AzureSession Open(AzureSourceOptions options, IExchangeSink? sink = null) =>
        AzureSourceModule.Open(options, new Redactor([Secret]), new FakeTimeProvider(Now), sink);
}
