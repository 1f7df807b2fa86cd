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

    /// <summary>
    /// The clock under the source: now is <see cref="Now"/>, and every wait the stack asks for (a backoff, a Retry-After)
    /// is recorded and ends at once, so no test sleeps. The stack's per-attempt timeout (30 s) never fires.
    /// </summary>
    public sealed class Waits : TimeProvider
    {
        private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
        private readonly FakeTimeProvider _never = new(Now);

        public ConcurrentQueue<TimeSpan> Asked { get; } = new();

        public override DateTimeOffset GetUtcNow() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == Timeout.InfiniteTimeSpan || dueTime >= AttemptTimeout)
                return _never.CreateTimer(callback, state, dueTime, period);
            Asked.Enqueue(dueTime);
            return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    public static AzureSourceOptions Options(FakeArm fake) => new()
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
        RetryBaseDelay = TimeSpan.FromMilliseconds(100), // recorded by Waits, never slept; large enough that jitter never makes it zero
    };

    public static AzureSession Open(AzureSourceOptions options, IExchangeSink? sink = null, Waits? waits = null) =>
        AzureSourceModule.Open(options, new Redactor([Secret]), waits ?? new Waits(), sink);
}
