using System.Text.Json.Serialization;

namespace EvidenceBot.Core.Rules;

/// <summary>The outcome of one finding or of one whole rule execution.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
public enum Verdict
{
    /// <summary>The control was observed to be in place.</summary>
    [JsonStringEnumMemberName("pass")] Pass,

    /// <summary>The control was observed not to be in place.</summary>
    [JsonStringEnumMemberName("fail")] Fail,

    /// <summary>Evidence could not be collected: a fault, a timeout, a missing permission or missing data.</summary>
    [JsonStringEnumMemberName("error")] Error,

    /// <summary>The rule does not apply to what it looked at.</summary>
    [JsonStringEnumMemberName("not_applicable")] NotApplicable,

    /// <summary>
    /// The control was observed not to be in place, and a signed, unexpired waiver accepts that risk. Never a pass: a
    /// waived finding is a failure someone answered for (the finding carries the waiver's digest).
    /// </summary>
    [JsonStringEnumMemberName("waived")] Waived,
}

/// <summary>How much a rule's failure matters.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Severity>))]
public enum Severity
{
    /// <summary>Low.</summary>
    [JsonStringEnumMemberName("low")] Low,

    /// <summary>Medium.</summary>
    [JsonStringEnumMemberName("medium")] Medium,

    /// <summary>High.</summary>
    [JsonStringEnumMemberName("high")] High,

    /// <summary>Critical.</summary>
    [JsonStringEnumMemberName("critical")] Critical,
}

/// <summary>How strongly a rule's evidence bears on a control.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ControlRelation>))]
public enum ControlRelation
{
    /// <summary>The evidence on its own shows the control is met.</summary>
    [JsonStringEnumMemberName("satisfies")] Satisfies,

    /// <summary>The evidence is part of what shows the control is met.</summary>
    [JsonStringEnumMemberName("supports")] Supports,

    /// <summary>The evidence covers part of the control only.</summary>
    [JsonStringEnumMemberName("partial")] Partial,
}
