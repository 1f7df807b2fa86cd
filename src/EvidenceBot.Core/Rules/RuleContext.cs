using System.Collections.Concurrent;
using System.Text.Json;
using EvidenceBot.Core.Evidence;

namespace EvidenceBot.Core.Rules;

/// <summary>
/// Everything one rule execution can see and the place it reports to. One context per (rule × target).
/// Thread-safe: a rule may report from several tasks.
/// </summary>
public sealed class RuleContext
{
    private readonly ConcurrentQueue<Finding> _findings = new();
    private readonly ConcurrentQueue<string> _faults = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentDictionary<string, HttpExchange> _evidence = new(StringComparer.Ordinal);
    private static readonly AsyncLocal<RuleContext?> CurrentContext = new();
    private readonly IReadOnlyDictionary<Type, object> _services;

    /// <summary>Creates a context.</summary>
    public RuleContext(
        RuleManifest manifest,
        string target,
        IReadOnlyDictionary<string, JsonElement> parameters,
        TimeProvider time,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<Type, object>? services = null)
    {
        Manifest = manifest;
        Target = target;
        Parameters = parameters;
        Time = time;
        CancellationToken = cancellationToken;
        _services = services ?? new Dictionary<Type, object>();
    }

    /// <summary>The rule being run.</summary>
    public RuleManifest Manifest { get; }

    /// <summary>What the rule runs against, e.g. an organisation or <c>default</c>.</summary>
    public string Target { get; }

    /// <summary>Effective parameters: header defaults overridden by configuration.</summary>
    public IReadOnlyDictionary<string, JsonElement> Parameters { get; }

    /// <summary>The clock; inject a fake one in tests.</summary>
    public TimeProvider Time { get; }

    /// <summary>Cancelled on timeout or when the run is stopped.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Findings so far, in the order reported.</summary>
    public IReadOnlyList<Finding> Findings => [.. _findings];

    /// <summary>Source faults reported so far. Any fault makes the verdict <see cref="Verdict.Error"/>.</summary>
    public IReadOnlyList<string> Faults => [.. _faults];

    /// <summary>Lines the rule logged.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    /// <summary>
    /// The execution running on this async flow, or null. Sources use it to attach what they fetched to the
    /// rule that asked, even when the answer came from a cache shared by several rules.
    /// </summary>
    public static RuleContext? Current => CurrentContext.Value;

    /// <summary>Makes this context <see cref="Current"/> for the calling async flow.</summary>
    public void Enter() => CurrentContext.Value = this;

    /// <summary>The raw evidence attached so far, keyed by content digest, in no particular order.</summary>
    public IReadOnlyCollection<HttpExchange> Evidence => [.. _evidence.Values];

    /// <summary>Attaches a (redacted) exchange the rule's verdict rests on. The same content is kept once.</summary>
    public void AttachEvidence(HttpExchange exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        _evidence.TryAdd(exchange.Digest(), exchange);
    }

    /// <summary>
    /// Records a finding. A finding beyond <see cref="RuleLimits.MaxFindings"/>, or whose message or resource is longer
    /// than the limits allow, stops the rule (<see cref="Stop"/>) and throws <see cref="RuleLimitExceededException"/>:
    /// one rule must not exhaust the memory every other rule's evidence is held in.
    /// </summary>
    public void Report(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        // Only a signed waiver, applied after the run, makes a finding waived; a rule cannot waive itself.
        if (finding.Status == Verdict.Waived || finding.Waiver is not null)
            finding = new Finding(finding.Resource, Verdict.Error, "a rule cannot report a waived finding (waivers are applied from signed waivers.yaml entries): " + finding.Message, finding.Observed);
        if (finding.Message.Length > RuleLimits.MaxMessageLength)
            Exceed($"a finding's message for '{Shorten(finding.Resource)}' is {finding.Message.Length:N0} characters; the limit is {RuleLimits.MaxMessageLength:N0}: say why in a sentence and put the data in 'observed'");
        if (finding.Resource.Length > RuleLimits.MaxResourceLength)
            Exceed($"a finding's resource is {finding.Resource.Length:N0} characters; the limit is {RuleLimits.MaxResourceLength:N0}: name the resource, do not describe it");
        if (Interlocked.Increment(ref _findingCount) > RuleLimits.MaxFindings)
            Exceed($"the rule reported more than {RuleLimits.MaxFindings:N0} findings; that is the limit per execution: split the rule, or report one finding per resource");
        _findings.Enqueue(finding);
    }

    private int _findingCount;
    private int _logCount;

    private void Exceed(string reason)
    {
        Stop("stopped: " + reason);
        throw new RuleLimitExceededException(reason);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";

    /// <summary>
    /// Records that a source could not deliver what the rule asked for. Even when the rule catches
    /// the exception and carries on, the execution ends as <see cref="Verdict.Error"/>.
    /// </summary>
    public void ReportFault(string reason) => _faults.Enqueue(reason);

    /// <summary>
    /// Why the rule was stopped by the engine's own guard (its stack ran out), or null. Set once; the execution then
    /// ends as <see cref="Verdict.Error"/> with this reason even if the rule caught the exception and carried on.
    /// </summary>
    public string? StoppedBecause => _stoppedBecause;

    private string? _stoppedBecause;

    /// <summary>Records that the engine stopped the rule (see <see cref="StoppedBecause"/>); the first reason wins.</summary>
    public void Stop(string reason) => Interlocked.CompareExchange(ref _stoppedBecause, reason, null);

    /// <summary>Records a log line; past <see cref="RuleLimits.MaxLogLines"/> lines, or for a line too long, the rule is stopped as for findings.</summary>
    public void WriteLog(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length > RuleLimits.MaxMessageLength)
            Exceed($"a log line is {line.Length:N0} characters; the limit is {RuleLimits.MaxMessageLength:N0}");
        if (Interlocked.Increment(ref _logCount) > RuleLimits.MaxLogLines)
            Exceed($"the rule logged more than {RuleLimits.MaxLogLines:N0} lines; that is the limit per execution");
        _log.Enqueue(line);
    }

    /// <summary>A service (e.g. a source client) registered for this run, or null.</summary>
    public T? GetService<T>() where T : class =>
        _services.TryGetValue(typeof(T), out var service) ? (T)service : null;
}
