using System.Text.Json;
using System.Text.Json.Nodes;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// What <c>rules new</c> writes for each source: a rule whose sample code runs against that source, and one test case
/// (<c>&lt;rule&gt;.tests/&lt;case&gt;/</c>: <c>case.json</c>, <c>expect.json</c>, <c>exchanges/</c>) whose recorded
/// answers make the sample pass. The exchanges are in the bundle's raw-evidence format, so a case can also be made from
/// a real run's evidence.
/// </summary>
internal static class RuleTemplates
{
    /// <summary>The sources <c>rules new --source</c> knows.</summary>
    public static readonly string[] Sources = ["github", "azure", "models", "none"];

    /// <summary>A rule file and its test case, ready to write.</summary>
    /// <param name="Rule">The rule's text.</param>
    /// <param name="Case">case.json.</param>
    /// <param name="Expect">expect.json.</param>
    /// <param name="Exchanges">Recorded exchanges by file name.</param>
    public sealed record Template(string Rule, string Case, string Expect, IReadOnlyDictionary<string, string> Exchanges);

    public static Template For(string id, string source) => source switch
    {
        "github" => GitHub(id),
        "azure" => Azure(id),
        "models" => Models(id),
        _ => None(id),
    };

    private static string Header(string id, string title, string source, string control) => $$"""
        /* ---
        id: {{id}}
        title: {{title}}
        description: >
          Say what is checked and why it meets the control. Replace the sample below with your check.
        severity: medium
        {{(source == "none" ? "" : $"sources: [{source}]\n")}}controls:
          - { id: "{{control}}", relation: supports }
        timeout: 2m
        freshness: 24h
        --- */

        """;

    private static Template GitHub(string id) => new(
        Header(id, "Every repository says what it is for", "github", "ISO27001:2022/A.5.9") + """
        // One finding per repository: pass or fail, with the values the verdict rests on.
        foreach (var repo in await GitHub.RepositoriesAsync(Ct))
        {
            if (repo.Archived)
            {
                NotApplicable(repo.FullName, "archived: no longer in use");
                continue;
            }

            Check(repo.FullName, !string.IsNullOrWhiteSpace(repo.Description),
                string.IsNullOrWhiteSpace(repo.Description) ? "the repository has no description" : "the repository has a description",
                new { description = repo.Description });
        }

        """,
        Case("example-org", "github", new JsonObject { ["organizations"] = new JsonArray("example-org") }),
        Expect("pass", ("example-org/api", "pass")),
        Exchanges(
            Exchange("github", "https://api.github.com/orgs/example-org",
                """{"login":"example-org","id":2,"node_id":"O_2","url":"https://api.github.com/orgs/example-org","html_url":"https://github.com/example-org","name":"Example Org","type":"Organization","public_repos":0,"total_private_repos":1,"owned_private_repos":1,"created_at":"2020-01-01T00:00:00Z","updated_at":"2025-12-01T00:00:00Z"}""",
                "application/json; charset=utf-8"),
            Exchange("github", "https://api.github.com/orgs/example-org/repos?per_page=100",
            """[{"id":1,"node_id":"R_1","name":"api","full_name":"example-org/api","owner":{"login":"example-org","id":2,"type":"Organization"},"private":true,"description":"The public API","fork":false,"archived":false,"disabled":false,"visibility":"private","default_branch":"main","url":"https://api.github.com/repos/example-org/api","html_url":"https://github.com/example-org/api","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-12-01T00:00:00Z","pushed_at":"2025-12-01T00:00:00Z"}]""",
            "application/json; charset=utf-8")));

    private static Template Azure(string id) => new(
        Header(id, "Defender for Cloud covers virtual machines", "azure", "ISO27001:2022/A.8.7") + """
        // Read what the subscription reports, then one finding per thing checked.
        var pricings = await Azure.DefenderPlansAsync(Ct);
        var vm = pricings.FirstOrDefault(p => p.GetProperty("name").GetString() == "VirtualMachines");
        var tier = vm.ValueKind == JsonValueKind.Object && vm.GetProperty("properties").TryGetProperty("pricingTier", out var t) ? t.GetString() : null;
        Check($"{Azure.SubscriptionScope}/providers/Microsoft.Security/pricings/VirtualMachines", tier == "Standard",
            $"Defender for servers is on the {tier ?? "unknown"} tier", new { pricingTier = tier });

        """,
        Case(AzureSubscription, "azure", new JsonObject { ["subscriptions"] = new JsonArray(AzureSubscription) }),
        Expect("pass", ($"/subscriptions/{AzureSubscription}/providers/Microsoft.Security/pricings/VirtualMachines", "pass")),
        Exchanges(Exchange("azure", $"https://management.azure.com/subscriptions/{AzureSubscription}/providers/Microsoft.Security/pricings?api-version=2024-01-01",
            $$$"""{"value":[{"id":"/subscriptions/{{{AzureSubscription}}}/providers/Microsoft.Security/pricings/VirtualMachines","name":"VirtualMachines","type":"Microsoft.Security/pricings","properties":{"pricingTier":"Standard"}}]}""",
            "application/json; charset=utf-8")));

    private const string AzureSubscription = "00000000-0000-4000-8000-000000000001";

    private static Template Models(string id) => new(
        Header(id, "Every registered model is described", "models", "ISO42001:2023/A.6.2.7") + """
        // Models.ModelsAsync lists what the registry (the target) holds.
        foreach (var model in await Models.ModelsAsync(Ct))
        {
            Check($"{model.Registry}/{model.Name}", !string.IsNullOrWhiteSpace(model.Description),
                string.IsNullOrWhiteSpace(model.Description) ? "the model has no description" : "the model is described",
                new { description = model.Description });
        }

        """,
        Case("example-mlflow", "models", new JsonObject
        {
            ["registries"] = new JsonArray(new JsonObject { ["name"] = "example-mlflow", ["kind"] = "mlflow", ["url"] = "https://mlflow.example" }),
        }),
        Expect("pass", ("example-mlflow/churn-predictor", "pass")),
        Exchanges(Exchange("models", "https://mlflow.example/api/2.0/mlflow/registered-models/search?max_results=1000",
            """{"registered_models":[{"name":"churn-predictor","creation_timestamp":1735689600000,"last_updated_timestamp":1740000000000,"description":"Predicts churn from billing events"}]}""",
            "application/json")));

    private static Template None(string id) => new(
        Header(id, "A rule that needs no source", "none", "ISO27001:2022/A.5.36") + """
        // No source: a check on the parameters or the clock alone. Use Now, never DateTime.Now: tests set the time.
        var quarterEnd = new DateTimeOffset(Now.Year, ((Now.Month - 1) / 3 + 1) * 3, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        Pass(Target, $"the next quarterly review is due by {quarterEnd:yyyy-MM-dd}", new { due = quarterEnd });

        """,
        Case("default"),
        Expect("pass", ("default", "pass")),
        new Dictionary<string, string>());

    /// <summary>case.json: the target, no parameters, a fixed clock, and the source's configuration section the case runs with.</summary>
    private static string Case(string target, string? source = null, JsonObject? section = null)
    {
        var json = new JsonObject { ["target"] = target, ["parameters"] = new JsonObject(), ["now"] = "2026-01-01T00:00:00Z" };
        if (source is not null)
            json["sources"] = new JsonObject { [source] = section };
        return Json(json);
    }

    private static string Expect(string verdict, params (string Resource, string Status)[] findings)
    {
        var map = new JsonObject();
        foreach (var (resource, status) in findings)
            map[resource] = status;
        return Json(new JsonObject { ["verdict"] = verdict, ["findings"] = map });
    }

    private static (string Url, string Text) Exchange(string source, string url, string body, string contentType)
    {
        var exchange = new Core.Evidence.HttpExchange
        {
            Source = source,
            Method = "GET",
            Url = url,
            Status = 200,
            RequestHeaders = new Dictionary<string, string> { ["Accept"] = "application/json" },
            ResponseHeaders = new Dictionary<string, string> { ["Content-Type"] = contentType },
            Body = body,
            At = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        };
        return (url, System.Text.Encoding.UTF8.GetString(exchange.ToFileBytes()));
    }

    private static Dictionary<string, string> Exchanges(params (string Url, string Text)[] exchanges) =>
        exchanges.ToDictionary(e => FileName(new Uri(e.Url)), e => e.Text, StringComparer.Ordinal);

    /// <summary>A readable file name for a recorded exchange: path and query with separators as '_'.</summary>
    private static string FileName(Uri url)
    {
        var name = (url.AbsolutePath.Trim('/') + (url.Query.Length > 1 ? "_" + url.Query[1..] : ""))
            .Replace('/', '_').Replace('&', '_').Replace('?', '_');
        return name + ".json";
    }

    private static string Json(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
}
