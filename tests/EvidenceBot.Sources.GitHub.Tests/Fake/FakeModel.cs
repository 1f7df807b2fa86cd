namespace EvidenceBot.Sources.GitHub.Tests.Fake;

/// <summary>A fictional organisation the fake GitHub serves.</summary>
public sealed class FakeOrg
{
    public required string Login { get; init; }

    /// <summary>null: the field is absent, as GitHub answers a token that is not an organisation owner.</summary>
    public bool? TwoFactorRequired { get; set; } = true;

    public List<FakeUser> Members { get; } = [];
    public List<FakeUser> OutsideCollaborators { get; } = [];
    public List<FakeRepo> Repos { get; } = [];
    public string WorkflowDefault { get; set; } = "read";
    public bool WorkflowCanApprove { get; set; }

    /// <summary>Audit-log events: (action, when).</summary>
    public List<(string Action, DateTimeOffset At)> AuditEvents { get; } = [];

    /// <summary>The enterprise the organisation belongs to, and its audit-log streams (enabled flags).</summary>
    public string? Enterprise { get; set; }
    public List<bool> AuditStreams { get; } = [];

    public long InstallationId { get; set; } = 4242;

    /// <summary>Private repositories the organisation has that the token cannot see: counted in <c>total_private_repos</c>, never listed.</summary>
    public int HiddenRepos { get; set; }

    /// <summary>False: <c>total_private_repos</c> is absent, as GitHub answers a token that may not see it.</summary>
    public bool PrivateCountVisible { get; set; } = true;
}

public sealed record FakeUser(string Login, bool TwoFactor = true, bool Admin = false);

public sealed class FakeRepo
{
    public required string Name { get; init; }
    public string DefaultBranch { get; set; } = "main";
    public bool Archived { get; set; }
    public bool Fork { get; set; }
    public List<string> Topics { get; } = [];

    /// <summary>null: <c>security_and_analysis</c> is absent (the token is no admin of the repository).</summary>
    public bool? SecretScanning { get; set; } = true;
    public bool PushProtection { get; set; } = true;

    /// <summary>null: the branch is not protected (404 "Branch not protected").</summary>
    public FakeProtection? Protection { get; set; }

    public List<FakeRuleset> Rulesets { get; } = [];

    /// <summary>null: secret scanning is disabled (404 with GitHub's message).</summary>
    public List<FakeAlert>? SecretAlerts { get; set; } = [];

    /// <summary>null: Dependabot alerts are disabled (403 with GitHub's message).</summary>
    public List<FakeAlert>? DependabotAlerts { get; set; } = [];

    /// <summary>null: code scanning has no analysis (404 "no analysis found").</summary>
    public List<FakeAlert>? CodeScanningAlerts { get; set; } = [];

    public string WorkflowDefault { get; set; } = "read";
    public bool WorkflowCanApprove { get; set; }
    public List<FakeDeployKey> DeployKeys { get; } = [];
    public List<string> OutsideAdmins { get; } = [];
}

public sealed record FakeProtection(
    int Approvals = 2,
    bool CodeOwners = true,
    bool DismissStale = true,
    bool EnforceAdmins = true,
    bool AllowForcePushes = false,
    bool AllowDeletions = false,
    bool RequiredSignatures = true);

/// <summary>A branch ruleset: its rules are (type, parameters as JSON text).</summary>
/// <param name="BypassActors">How many bypass actors the ruleset has; negative: the answer leaves the list out, as GitHub does for a token that may not edit the ruleset.</param>
public sealed record FakeRuleset(long Id, string Name, IReadOnlyList<(string Type, string? Parameters)> Rules, string Enforcement = "active", int BypassActors = 0, bool FromOrganization = false);

public sealed record FakeAlert(int Number, string Severity, DateTimeOffset CreatedAt);

public sealed record FakeDeployKey(long Id, string Title, bool ReadOnly, DateTimeOffset CreatedAt);

/// <summary>A token's primary rate limit in the fake: how many requests it may still make, and when it resets.</summary>
public sealed class FakeTokenLimit
{
    public int Limit { get; init; } = 5000;
    public int Remaining { get; set; } = 5000;
    public int Used { get; set; }
    public DateTimeOffset Reset { get; set; } = DateTimeOffset.UtcNow.AddHours(1);
}
