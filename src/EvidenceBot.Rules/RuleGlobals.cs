using System.Text.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Rules;

/// <summary>
/// What a rule script sees as its globals: report findings, read parameters, the clock,
/// cancellation and a log. Each source a rule declares adds its own
/// member (<c>GitHub</c>, <c>Azure</c>, <c>Models</c>) from that source's contract assembly.
/// </summary>
public class RuleGlobals
{
    private static readonly JsonSerializerOptions ParameterJson = new(JsonSerializerDefaults.Web);
    private readonly RuleContext _context;

    /// <summary>Creates the globals for one execution.</summary>
    public RuleGlobals(RuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        Log = new RuleLog(context);
    }

    /// <summary>Cancelled when the rule's time is up or the run stops. Pass it to every async call.</summary>
    public CancellationToken Ct => _context.CancellationToken;

    /// <summary>The current time, from the engine's clock.</summary>
    public DateTimeOffset Now => _context.Time.GetUtcNow();

    /// <summary>What the rule runs against.</summary>
    public string Target => _context.Target;

    /// <summary>The rule's id.</summary>
    public string RuleId => _context.Manifest.Id;

    /// <summary>A log whose lines are kept with the rule's results.</summary>
    public RuleLog Log { get; }

    /// <summary>Records that <paramref name="resource"/> meets the control.</summary>
    public void Pass(string resource, string message, object? observed = null) => Report(resource, Verdict.Pass, message, observed);

    /// <summary>Records that <paramref name="resource"/> does not meet the control.</summary>
    public void Fail(string resource, string message, object? observed = null) => Report(resource, Verdict.Fail, message, observed);

    /// <summary>Records that the rule does not apply to <paramref name="resource"/>.</summary>
    public void NotApplicable(string resource, string message) => Report(resource, Verdict.NotApplicable, message, null);

    /// <summary>Records that evidence for <paramref name="resource"/> could not be collected.</summary>
    public void Error(string resource, string message, object? observed = null) => Report(resource, Verdict.Error, message, observed);

    /// <summary>Records pass when <paramref name="condition"/> holds, fail otherwise.</summary>
    public bool Check(string resource, bool condition, string message, object? observed = null)
    {
        Report(resource, condition ? Verdict.Pass : Verdict.Fail, message, observed);
        return condition;
    }

    /// <summary>
    /// A parameter's value: configuration overrides the header's default.
    /// Throws a clear error when it is missing or of the wrong type.
    /// </summary>
    public T Param<T>(string name)
    {
        if (!_context.Parameters.TryGetValue(name, out var value))
            throw new KeyNotFoundException($"parameter '{name}' is not declared in the rule header and not set in the configuration");
        if (ParameterValue.TryRead<T>(value, out var simple))
            return simple;
        try
        {
            return value.Deserialize<T>(ParameterJson)
                ?? throw new InvalidOperationException($"parameter '{name}' is null");
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"parameter '{name}' is {value.ValueKind.ToString().ToLowerInvariant()} '{value}', not a {typeof(T).Name}", ex);
        }
    }

    /// <summary>The context, for derived globals.</summary>
    protected RuleContext Context => _context;

    private void Report(string resource, Verdict status, string message, object? observed)
    {
        // A finding names what it is about and says why: evidence with a null there could not be verified.
        if (resource is null)
            throw new ArgumentNullException(nameof(resource), "a finding needs a resource: name what was checked (a repository, a key, a model), not null");
        if (message is null)
            throw new ArgumentNullException(nameof(message), $"the finding for '{resource}' needs a message saying why, not null");
        var json = observed is null ? (JsonElement?)null : EvidenceBot.Rules.ObservedJson.ToElement(observed);
        _context.Report(new Finding(resource, status, message, json));
    }
}

/// <summary>A rule's log; its lines are kept with the rule's results.</summary>
public sealed class RuleLog
{
    private readonly RuleContext _context;

    internal RuleLog(RuleContext context) => _context = context;

    /// <summary>Logs an informational line.</summary>
    public void Info(string message) => _context.WriteLog("info: " + message);

    /// <summary>Logs a warning.</summary>
    public void Warn(string message) => _context.WriteLog("warn: " + message);
}
