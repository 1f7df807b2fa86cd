using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Core;
using Azure.Identity;
using EvidenceBot.Core.Sources;
using EvidenceBot.Rules;
using EvidenceBot.Sources.Http;
using EvidenceBot.Sources.Models.Http;

namespace EvidenceBot.Sources.Models;

/// <summary>
/// Reads the <c>models</c> section into <see cref="ModelsOptions"/>. Every error names its JSON path and what to do,
/// and is found before anything is sent.
/// </summary>
internal static class ModelsConfig
{
    private static readonly JsonSerializerOptions ConventionJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly string[] SectionKeys = ["registries", "replay", "concurrency", "maxRetries", "maxRetryWait", "etagCache"];
    private static readonly string[] CommonKeys = ["name", "kind", "conventions"];
    private static readonly string[] MlflowKeys = ["url", "auth", "pageSize", "versionPageSize", "maxPages"];
    private static readonly string[] HubKeys = ["endpoint", "tokenEnv", "models"];
    private static readonly string[] AzureKeys = ["subscriptionId", "resourceGroup", "workspace", "registry", "armEndpoint", "apiVersion", "tenantId", "authorityHost", "credential"];

    public static ModelsOptions Parse(SourceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var root = settings.Section;
        var path = settings.Path;
        if (root.ValueKind != JsonValueKind.Object)
            throw Error(path, "must be an object with 'registries'");
        Known(root, path, SectionKeys);

        var replay = root.Str("replay");
        HttpMessageHandler? transport = null;
        if (replay is not null)
        {
            var folder = settings.ResolvePath(replay);
            if (!Directory.Exists(folder))
                throw Error($"{path}.replay", $"folder '{folder}' does not exist; give the folder of recorded exchanges, relative to the configuration file");
            transport = ReplayHandler.FromDirectory(folder);
        }

        var policy = new RegistryHttpPolicy
        {
            Concurrency = Int(root, "concurrency", path, 8, 1, 64),
            MaxRetries = Int(root, "maxRetries", path, 3, 0, 10),
            MaxRetryWait = root.Str("maxRetryWait") is { } w ? Duration(w, $"{path}.maxRetryWait") : TimeSpan.FromSeconds(60),
        };

        if (root.Prop("registries") is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
            throw Error($"{path}.registries", "list at least one registry: { \"name\": \"prod\", \"kind\": \"mlflow\", \"url\": \"https://mlflow.example.com\" }");
        var registries = new List<RegistryOptions>();
        var i = 0;
        foreach (var r in list.EnumerateArray())
        {
            var at = $"{path}.registries[{i++}]";
            var registry = Registry(r, at, settings, replay is not null);
            if (registries.Any(x => string.Equals(x.Name, registry.Name, StringComparison.OrdinalIgnoreCase)))
                throw Error($"{at}.name", $"'{registry.Name}' is used twice; each registry needs its own name (it is the rules' target)");
            registries.Add(registry);
        }

        var etag = root.Prop("etagCache") switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } e when e.GetString() is { Length: > 0 } folder => settings.ResolvePath(folder),
            _ => throw Error($"{path}.etagCache", "must be a folder path (relative to the configuration file) where ETags and their answers are kept between runs"),
        };
        return new ModelsOptions
        {
            Registries = registries, Policy = policy, Transport = transport, Sink = settings.Sink, Redactor = settings.Redactor, EtagCacheDirectory = etag,
        };
    }

    private static RegistryOptions Registry(JsonElement r, string at, SourceSettings settings, bool replay)
    {
        if (r.ValueKind != JsonValueKind.Object)
            throw Error(at, "must be an object with name, kind and how to reach the registry");
        var name = r.Str("name") is { Length: > 0 } n ? n : throw Error($"{at}.name", "required: the registry's name, used as the rules' target");
        var kind = r.Str("kind") switch
        {
            "mlflow" => RegistryKind.MLflow,
            "huggingface" => RegistryKind.HuggingFace,
            "azureml" => RegistryKind.AzureMachineLearning,
            var k => throw Error($"{at}.kind", $"'{k}' is not a registry kind; use mlflow, huggingface or azureml"),
        };
        var conventions = Conventions(r, $"{at}.conventions");
        switch (kind)
        {
            case RegistryKind.MLflow:
            {
                Known(r, at, [.. CommonKeys, .. MlflowKeys]);
                var url = AbsoluteUrl(r, "url", at, required: true, "the tracking server or Databricks workspace URL, e.g. https://mlflow.example.com")!;
                var (user, password, token) = MlflowAuth(r, $"{at}.auth", settings);
                return new RegistryOptions
                {
                    Name = name, Kind = kind, Url = url, Conventions = conventions, Username = user, Password = password, Token = token,
                    PageSize = Int(r, "pageSize", at, 1000, 1, 1000),
                    VersionPageSize = Int(r, "versionPageSize", at, 10000, 1, 200000),
                    MaxPages = Int(r, "maxPages", at, 1000, 1, 100000),
                };
            }

            case RegistryKind.HuggingFace:
            {
                Known(r, at, [.. CommonKeys, .. HubKeys]);
                var url = AbsoluteUrl(r, "endpoint", at, required: false, "") ?? new Uri("https://huggingface.co");
                var token = Env(r, "tokenEnv", at, settings, required: false);
                if (r.Prop("models") is not { ValueKind: JsonValueKind.Array } models || models.GetArrayLength() == 0)
                    throw Error($"{at}.models", "list the third-party models in use: [{ \"id\": \"org/model\", \"revision\": \"<40-hex commit>\" }]");
                var pinned = new List<PinnedModel>();
                var j = 0;
                foreach (var m in models.EnumerateArray())
                {
                    var mat = $"{at}.models[{j++}]";
                    if (m.ValueKind == JsonValueKind.String)
                    {
                        pinned.Add(new PinnedModel(m.GetString()!, null));
                        continue;
                    }

                    Known(m, mat, ["id", "revision"]);
                    var id = m.Str("id") is { Length: > 0 } x && x.Contains('/', StringComparison.Ordinal) ? x
                        : throw Error($"{mat}.id", "required: the Hub model id, e.g. 'org/model'");
                    pinned.Add(new PinnedModel(id, m.Str("revision") is { Length: > 0 } rev ? rev : null));
                }

                return new RegistryOptions { Name = name, Kind = kind, Url = url, Conventions = conventions, Token = token, Models = pinned };
            }

            default:
            {
                Known(r, at, [.. CommonKeys, .. AzureKeys]);
                var url = AbsoluteUrl(r, "armEndpoint", at, required: false, "") ?? new Uri("https://management.azure.com");
                string Need(string key, string what) => r.Str(key) is { Length: > 0 } v ? v : throw Error($"{at}.{key}", $"required: {what}");
                var scope = url.GetLeftPart(UriPartial.Authority) + "/.default";
                return new RegistryOptions
                {
                    Name = name, Kind = kind, Url = url, Conventions = conventions,
                    SubscriptionId = Need("subscriptionId", "the subscription id of the workspace"),
                    ResourceGroup = Need("resourceGroup", "the workspace's resource group"),
                    Workspace = r.Str("registry") is null ? Need("workspace", "the Azure ML workspace name (or registry, for an Azure ML registry)") : null,
                    AzureRegistry = r.Str("registry") is { } reg
                        ? (r.Str("workspace") is null ? reg : throw Error($"{at}.registry", "give either workspace or registry, not both"))
                        : null,
                    ApiVersion = r.Str("apiVersion") ?? "2025-12-01",
                    Scope = scope,
                    Credential = replay && r.Prop("credential") is null ? null : Credential(r, at, settings),
                };
            }
        }
    }

    private static (string? User, string? Password, string? Token) MlflowAuth(JsonElement r, string at, SourceSettings settings)
    {
        if (r.Prop("auth") is not { } auth)
            return (null, null, null);
        Known(auth, at, ["type", "usernameEnv", "passwordEnv", "tokenEnv"]);
        switch (auth.Str("type"))
        {
            case "none":
                return (null, null, null);
            case "basic":
                var user = Env(auth, "usernameEnv", at, settings, required: true)!;
                var password = Env(auth, "passwordEnv", at, settings, required: true)!;
                settings.Redactor.AddSecret(password);
                return (user, password, null);
            case "bearer":
                var token = Env(auth, "tokenEnv", at, settings, required: true)!;
                return (null, null, token);
            case var t:
                throw Error($"{at}.type", $"'{t}' is not an auth type; use none, basic (usernameEnv, passwordEnv) or bearer (tokenEnv)");
        }
    }

    private static TokenCredential Credential(JsonElement r, string at, SourceSettings settings)
    {
        var cat = $"{at}.credential";
        var c = r.Prop("credential");
        if (c is null)
            return new DefaultAzureCredential();
        Known(c.Value, cat, ["type", "clientId", "clientSecretEnv", "tokenEnv"]);
        var options = new TokenCredentialOptions();
        if (AbsoluteUrl(r, "authorityHost", at, required: false, "") is { } authority)
            options.AuthorityHost = authority;
        var tenant = r.Str("tenantId");
        switch (c.Value.Str("type"))
        {
            case "default":
                return new DefaultAzureCredential();
            case "managedIdentity":
                return c.Value.Str("clientId") is { } mi ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(mi)) : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
            case "clientSecret":
                var clientId = c.Value.Str("clientId") ?? throw Error($"{cat}.clientId", "required for clientSecret: the app registration's client id");
                var secret = Env(c.Value, "clientSecretEnv", cat, settings, required: true)!;
                settings.Redactor.AddSecret(secret);
                return new ClientSecretCredential(tenant ?? throw Error($"{at}.tenantId", "required for clientSecret: the Entra tenant id"), clientId, secret,
                    new ClientSecretCredentialOptions { AuthorityHost = options.AuthorityHost });
            case "tokenEnv":
                var token = Env(c.Value, "tokenEnv", cat, settings, required: true)!;
                settings.Redactor.AddSecret(token);
                return new StaticToken(token, settings.Time);
            case var t:
                throw Error($"{cat}.type", $"'{t}' is not a credential type; use default, clientSecret, managedIdentity or tokenEnv");
        }
    }

    private static ModelConventions Conventions(JsonElement r, string at)
    {
        if (r.Prop("conventions") is not { } c)
            return ModelConventions.Default;
        try
        {
            return c.Deserialize<ModelConventions>(ConventionJson) ?? ModelConventions.Default;
        }
        catch (JsonException ex)
        {
            var inner = ex.Path is { Length: > 1 } p ? at + p[1..] : at;
            throw Error(inner, $"{ex.Message.Split(" Path:")[0]} (names: ownerField, productionAliases, driftStatistics [{{ name, direction: distance|pValue, defaultThreshold }}], …; see docs/sources/models.md)");
        }
    }

    private static string? Env(JsonElement e, string key, string at, SourceSettings settings, bool required)
    {
        if (e.Str(key) is not { Length: > 0 } name)
            return required ? throw Error($"{at}.{key}", "required: the name of the environment variable holding the secret (never the secret itself)") : null;
        var value = settings.Environment(name);
        if (string.IsNullOrEmpty(value))
            throw Error($"{at}.{key}", $"environment variable {name} is not set; set it, or remove {key}");
        settings.Redactor.AddSecret(value);
        return value;
    }

    private static Uri? AbsoluteUrl(JsonElement e, string key, string at, bool required, string what)
    {
        if (e.Str(key) is not { Length: > 0 } s)
            return required ? throw Error($"{at}.{key}", $"required: {what}") : null;
        return Uri.TryCreate(s, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)
            ? u
            : throw Error($"{at}.{key}", $"'{s}' is not an absolute http(s) URL");
    }

    private static int Int(JsonElement e, string key, string at, int fallback, int min, int max)
    {
        if (e.Prop(key) is not { } v)
            return fallback;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n >= min && n <= max
            ? n
            : throw Error($"{at}.{key}", $"must be a whole number from {min} to {max}");
    }

    private static TimeSpan Duration(string text, string at)
    {
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001) : text.EndsWith('s') ? (text[..^1], 1.0) : text.EndsWith('m') ? (text[..^1], 60.0) : ("", 0);
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 3600 / Math.Max(unit, 0.001)
            ? TimeSpan.FromSeconds(n * unit)
            : throw Error(at, $"'{text}' is not a duration like 500ms, 30s or 2m");
    }

    private static void Known(JsonElement e, string at, IReadOnlyCollection<string> keys)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (!keys.Contains(p.Name))
                throw Error($"{at}.{p.Name}", $"unknown setting; expected one of {string.Join(", ", keys)}");
        }
    }

    private static SourceConfigException Error(string path, string message) => new($"{path}: {message}");

    /// <summary>A bearer token given as is (an environment variable): for pipelines that mint their own, and for tests.</summary>
    private sealed class StaticToken(string token, TimeProvider time) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, time.GetUtcNow().AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
