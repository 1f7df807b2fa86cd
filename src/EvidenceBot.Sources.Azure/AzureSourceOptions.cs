using System.Text.Json;
using System.Text.RegularExpressions;
using EvidenceBot.Core.Sources;

namespace EvidenceBot.Sources.Azure;

/// <summary>How to sign in to Entra ID.</summary>
internal enum AzureCredentialKind
{
    Default,
    ClientSecret,
    ClientCertificate,
    WorkloadIdentity,
    ManagedIdentity,
}

/// <summary>The <c>azure</c> configuration section, validated. Every error names its JSON path and what to do.</summary>
internal sealed partial record AzureSourceOptions
{
    public IReadOnlyList<string> Subscriptions { get; init; } = [];
    public string? ManagementGroup { get; init; }
    public string? TenantId { get; init; }
    public string Cloud { get; init; } = "public";
    public Uri? ArmEndpoint { get; init; }
    public string? ArmAudience { get; init; }
    public Uri? GraphEndpoint { get; init; }
    public Uri? AuthorityHost { get; init; }
    public AzureCredentialKind Credential { get; init; } = AzureCredentialKind.Default;
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public string? CertificatePath { get; init; }
    public string? TokenFilePath { get; init; }
    public IReadOnlyList<string> IncludeResourceGroups { get; init; } = [];
    public IReadOnlyList<string> ExcludeResourceGroups { get; init; } = [];
    public IReadOnlyDictionary<string, string> IncludeTags { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> ExcludeTags { get; init; } = new Dictionary<string, string>();
    public bool UseResourceGraph { get; init; } = true;
    public IReadOnlyDictionary<string, string> ApiVersions { get; init; } = new Dictionary<string, string>();
    public int Concurrency { get; init; } = 8;
    public int MaxRetries { get; init; } = 4;
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(60);
    public string? ReplayFolder { get; init; }

    /// <summary>First backoff after a 5xx; doubles per attempt. Tests make it tiny.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Folder of the persisted ETag cache (<c>azure.etagCache</c>); no cache when null.</summary>
    public string? EtagCacheDirectory { get; init; }

    /// <summary>Below the Azure.Core pipeline and the capture: the network, a replay, or a test's loopback rewrite.</summary>
    public HttpMessageHandler? Transport { get; init; }

    /// <summary>Test-only: credential to use instead of the configured one.</summary>
    public global::Azure.Core.TokenCredential? CredentialOverride { get; init; }

    public static AzureSourceOptions Parse(SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var p = settings.Path;
        var s = settings.Section;
        if (s.ValueKind != JsonValueKind.Object)
            throw Bad(p, $"must be an object, not {Kind(s)}");
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            "subscriptions", "managementGroup", "tenantId", "cloud", "armEndpoint", "armAudience", "graphEndpoint", "authorityHost",
            "credential", "resourceGroups", "tags", "resourceGraph", "apiVersions", "concurrency", "maxRetries", "maxRetryWait", "replay", "etagCache", "$comment",
        };
        foreach (var prop in s.EnumerateObject())
        {
            if (!known.Contains(prop.Name))
                throw Bad($"{p}.{prop.Name}", $"is not an Azure setting; known settings: {string.Join(", ", known.Where(k => k != "$comment").Order(StringComparer.Ordinal))}");
        }

        var subs = StringList(s, p, "subscriptions");
        for (var i = 0; i < subs.Count; i++)
        {
            if (!SubscriptionId().IsMatch(subs[i]))
                throw Bad($"{p}.subscriptions[{i}]", $"'{subs[i]}' is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)");
        }

        if (subs.Distinct(StringComparer.OrdinalIgnoreCase).Count() != subs.Count)
            throw Bad($"{p}.subscriptions", "lists a subscription twice; list each once");
        var mg = String(s, p, "managementGroup");
        if (subs.Count == 0 && mg is null)
            throw Bad(p, "names no target: set 'subscriptions' (a list of subscription ids) or 'managementGroup' (every subscription below it)");
        if (subs.Count > 0 && mg is not null)
            throw Bad($"{p}.managementGroup", "and 'subscriptions' are both set; use one of them");
        if (s.TryGetProperty("subscriptions", out _) && subs.Count == 0)
            throw Bad($"{p}.subscriptions", "is empty; list at least one subscription id, or use 'managementGroup'");

        var cloud = String(s, p, "cloud") ?? "public";
        if (cloud is not ("public" or "china" or "usgovernment" or "germany" or "custom"))
            throw Bad($"{p}.cloud", $"'{cloud}' is not a cloud; use public, china, usgovernment, germany or custom");
        var armEndpoint = Https(s, p, "armEndpoint");
        var audience = String(s, p, "armAudience");
        if (cloud == "custom" && (armEndpoint is null || audience is null))
            throw Bad($"{p}.cloud", "'custom' needs 'armEndpoint' (https) and 'armAudience'");

        var replay = String(s, p, "replay");
        var kind = AzureCredentialKind.Default;
        string? clientId = null, secret = null, cert = null, tokenFile = null;
        if (s.TryGetProperty("credential", out var c))
        {
            var cp = $"{p}.credential";
            if (c.ValueKind != JsonValueKind.Object)
                throw Bad(cp, $"must be an object with 'type', not {Kind(c)}");
            foreach (var prop in c.EnumerateObject())
            {
                if (prop.Name is not ("type" or "clientId" or "clientSecretEnv" or "certificatePath" or "tokenFilePath"))
                    throw Bad($"{cp}.{prop.Name}", "is not a credential setting; known: type, clientId, clientSecretEnv, certificatePath, tokenFilePath");
            }

            var type = String(c, cp, "type") ?? throw Bad($"{cp}.type", "is missing; use default, clientSecret, clientCertificate, workloadIdentity or managedIdentity");
            kind = type switch
            {
                "default" => AzureCredentialKind.Default,
                "clientSecret" => AzureCredentialKind.ClientSecret,
                "clientCertificate" => AzureCredentialKind.ClientCertificate,
                "workloadIdentity" => AzureCredentialKind.WorkloadIdentity,
                "managedIdentity" => AzureCredentialKind.ManagedIdentity,
                _ => throw Bad($"{cp}.type", $"'{type}' is not a credential type; use default, clientSecret, clientCertificate, workloadIdentity or managedIdentity"),
            };
            clientId = String(c, cp, "clientId");
            var tenant = String(s, p, "tenantId");
            if (kind is AzureCredentialKind.ClientSecret or AzureCredentialKind.ClientCertificate or AzureCredentialKind.WorkloadIdentity)
            {
                if (clientId is null)
                    throw Bad($"{cp}.clientId", $"is needed for '{type}': the application (client) id");
                if (tenant is null && kind != AzureCredentialKind.WorkloadIdentity)
                    throw Bad($"{p}.tenantId", $"is needed for '{type}': the directory (tenant) id");
            }

            if (kind == AzureCredentialKind.ClientSecret && replay is null)
            {
                var env = String(c, cp, "clientSecretEnv") ?? "AZURE_CLIENT_SECRET";
                secret = settings.Environment(env);
                if (string.IsNullOrEmpty(secret))
                    throw Bad($"{cp}.clientSecretEnv", $"the environment variable {env} is not set; put the client secret there (never in the file)");
            }

            if (kind == AzureCredentialKind.ClientCertificate)
            {
                cert = String(c, cp, "certificatePath") ?? throw Bad($"{cp}.certificatePath", "is needed for 'clientCertificate': a PEM or PFX file with the certificate and its key");
                cert = settings.ResolvePath(cert);
                if (replay is null && !File.Exists(cert))
                    throw Bad($"{cp}.certificatePath", $"'{cert}' does not exist");
            }

            tokenFile = String(c, cp, "tokenFilePath") is { } tf ? settings.ResolvePath(tf) : null;
        }

        return new AzureSourceOptions
        {
            Subscriptions = [.. subs.Select(x => x.ToLowerInvariant())],
            ManagementGroup = mg,
            TenantId = String(s, p, "tenantId"),
            Cloud = cloud,
            ArmEndpoint = armEndpoint,
            ArmAudience = audience,
            GraphEndpoint = Https(s, p, "graphEndpoint"),
            AuthorityHost = Https(s, p, "authorityHost"),
            Credential = kind,
            ClientId = clientId,
            ClientSecret = secret,
            CertificatePath = cert,
            TokenFilePath = tokenFile,
            IncludeResourceGroups = Globs(s, p, "resourceGroups", "include"),
            ExcludeResourceGroups = Globs(s, p, "resourceGroups", "exclude"),
            IncludeTags = Tags(s, p, "include"),
            ExcludeTags = Tags(s, p, "exclude"),
            UseResourceGraph = Bool(s, p, "resourceGraph") ?? true,
            ApiVersions = StringMap(s, p, "apiVersions"),
            Concurrency = Int(s, p, "concurrency", 1, 64) ?? 8,
            MaxRetries = Int(s, p, "maxRetries", 0, 10) ?? 4,
            MaxRetryWait = Duration(s, p, "maxRetryWait") ?? TimeSpan.FromSeconds(60),
            ReplayFolder = replay is null ? null : settings.ResolvePath(replay),
            EtagCacheDirectory = String(s, p, "etagCache") is { } etag ? settings.ResolvePath(etag) : null,
        };
    }

    private static SourceConfigException Bad(string path, string message) => new($"{path}: {message}");

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static string? String(JsonElement s, string p, string name)
    {
        if (!s.TryGetProperty(name, out var v))
            return null;
        if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString()))
            throw Bad($"{p}.{name}", $"must be a non-empty string, not {Kind(v)}");
        return v.GetString();
    }

    private static bool? Bool(JsonElement s, string p, string name)
    {
        if (!s.TryGetProperty(name, out var v))
            return null;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Bad($"{p}.{name}", $"must be true or false, not {Kind(v)}");
    }

    private static int? Int(JsonElement s, string p, string name, int min, int max)
    {
        if (!s.TryGetProperty(name, out var v))
            return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < min || n > max)
            throw Bad($"{p}.{name}", $"must be a whole number from {min} to {max}, not {v.GetRawText()}");
        return n;
    }

    private static TimeSpan? Duration(JsonElement s, string p, string name)
    {
        var text = String(s, p, name);
        if (text is null)
            return null;
        var m = DurationText().Match(text);
        if (!m.Success || !int.TryParse(m.Groups[1].Value, out var n) || n > 3600_000)
            throw Bad($"{p}.{name}", $"'{text}' is not a duration such as 500ms, 30s or 2m");
        return m.Groups[2].Value switch { "ms" => TimeSpan.FromMilliseconds(n), "s" => TimeSpan.FromSeconds(n), _ => TimeSpan.FromMinutes(n) };
    }

    private static Uri? Https(JsonElement s, string p, string name)
    {
        var text = String(s, p, name);
        if (text is null)
            return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw Bad($"{p}.{name}", $"'{text}' must be an absolute https URL (tokens are never sent over http)");
        return uri;
    }

    private static List<string> StringList(JsonElement s, string p, string name)
    {
        if (!s.TryGetProperty(name, out var v))
            return [];
        if (v.ValueKind != JsonValueKind.Array)
            throw Bad($"{p}.{name}", $"must be a list of strings, not {Kind(v)}");
        var list = new List<string>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw Bad($"{p}.{name}[{i}]", $"must be a non-empty string, not {Kind(item)}");
            list.Add(item.GetString()!);
            i++;
        }

        return list;
    }

    private static List<string> Globs(JsonElement s, string p, string section, string name)
    {
        if (!s.TryGetProperty(section, out var v))
            return [];
        if (v.ValueKind != JsonValueKind.Object)
            throw Bad($"{p}.{section}", $"must be an object with 'include' and/or 'exclude' lists of names (globs with *), not {Kind(v)}");
        foreach (var prop in v.EnumerateObject())
        {
            if (prop.Name is not ("include" or "exclude"))
                throw Bad($"{p}.{section}.{prop.Name}", "is not a filter; use 'include' or 'exclude'");
        }

        return StringList(v, $"{p}.{section}", name);
    }

    private static Dictionary<string, string> StringMap(JsonElement s, string p, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!s.TryGetProperty(name, out var v))
            return map;
        if (v.ValueKind != JsonValueKind.Object)
            throw Bad($"{p}.{name}", $"must be an object of names to strings, not {Kind(v)}");
        foreach (var prop in v.EnumerateObject())
        {
            if (prop.Value.ValueKind != JsonValueKind.String)
                throw Bad($"{p}.{name}.{prop.Name}", $"must be a string, not {Kind(prop.Value)}");
            map[prop.Name] = prop.Value.GetString()!;
        }

        return map;
    }

    private static Dictionary<string, string> Tags(JsonElement s, string p, string name)
    {
        if (!s.TryGetProperty("tags", out var v))
            return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (v.ValueKind != JsonValueKind.Object)
            throw Bad($"{p}.tags", $"must be an object with 'include' and/or 'exclude' maps of tag name to value ('*' = any), not {Kind(v)}");
        foreach (var prop in v.EnumerateObject())
        {
            if (prop.Name is not ("include" or "exclude"))
                throw Bad($"{p}.tags.{prop.Name}", "is not a filter; use 'include' or 'exclude'");
        }

        return StringMap(v, $"{p}.tags", name);
    }

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex SubscriptionId();

    [GeneratedRegex("^([0-9]+)(ms|s|m)$")]
    private static partial Regex DurationText();
}
