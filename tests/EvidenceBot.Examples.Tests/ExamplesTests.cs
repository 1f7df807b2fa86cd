using System.CommandLine;
using EvidenceBot.Cli;
using EvidenceBot.Cli.Sources;
using EvidenceBot.Runs;
using YamlDotNet.RepresentationModel;

namespace EvidenceBot.Examples.Tests;

/// <summary>
/// The deployment examples in examples/continuous parse, and every evidencebot command line in them is one the real
/// command tree accepts: an unknown command or option, or a missing value, fails here rather than at 3 a.m.
/// </summary>
public sealed class ExamplesTests
{
    private static readonly string Root = RepositoryRoot();
    private static readonly string Examples = Path.Combine(Root, "examples", "continuous");

    private static string Rel(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string File(string relative) => Path.Combine(Examples, relative);

    /// <summary>Every invocation in every example file.</summary>
    private static List<Invocation> AllInvocations()
    {
        var found = new List<Invocation>();
        foreach (var path in Directory.EnumerateFiles(Examples, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (path.EndsWith(".yml", StringComparison.Ordinal) || path.EndsWith(".yaml", StringComparison.Ordinal))
                found.AddRange(ExampleCommandLines.FromYaml(path, Rel(path)));
            else if (path.EndsWith(".service", StringComparison.Ordinal))
                found.AddRange(ExampleCommandLines.FromSystemdUnit(path, Rel(path)));
        }

        return found;
    }

    /// <summary>What is wrong with <paramref name="invocation"/> for the real command tree; empty when it parses.</summary>
    internal static List<string> Problems(RootCommand root, Invocation invocation)
    {
        var parse = root.Parse([.. invocation.Arguments]);
        var problems = parse.Errors.Select(e => $"{invocation}: {e.Message}").ToList();
        // A bare group ('evidencebot rules') parses but does nothing: an example must name a command that runs.
        if (problems.Count == 0 && parse.CommandResult.Command.Action is null)
            problems.Add($"{invocation}: '{parse.CommandResult.Command.Name}' is not a command that runs");
        return problems;
    }

    private static RootCommand Cli() => CliApp.BuildRoot(new CliContext(TextWriter.Null, TextWriter.Null, TimeProvider.System, interactive: false));

    [Fact]
    public void Examples_EveryEvidencebotCommandLine_ParsesAgainstTheRealCli()
    {
        var root = Cli();
        var invocations = AllInvocations();

        var problems = invocations.SelectMany(i => Problems(root, i)).ToList();

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        Assert.Contains(invocations, i => i.Arguments[0] == "run");
        Assert.Contains(invocations, i => i.Arguments[0] == "verify");
        Assert.Contains(invocations, i => i.Arguments[0] == "serve");
    }

    [Fact]
    public void Examples_EveryDeploymentFile_HoldsAtLeastOneCommandLine()
    {
        var invocations = AllInvocations();
        var files = new[] { "github-actions/evidence.yml", "kubernetes/cronjob.yaml", "kubernetes/serve-deployment.yaml", "systemd/evidencebot.service" };

        Assert.All(files, f => Assert.Contains(invocations, i => i.File == "examples/continuous/" + f));
    }

    [Fact]
    public void Problems_UnknownOptionOrCommand_AreReported()
    {
        var root = Cli();

        Assert.Contains("--no-such-option", Assert.Single(Problems(root, new Invocation("x", 1, ["run", "--no-such-option"]))), StringComparison.Ordinal);
        Assert.NotEmpty(Problems(root, new Invocation("x", 1, ["frobnicate"])));
        Assert.NotEmpty(Problems(root, new Invocation("x", 1, ["verify", "bundle"])));          // --key is required
        Assert.NotEmpty(Problems(root, new Invocation("x", 1, ["rules"])));                     // a group, not a command
        Assert.Empty(Problems(root, new Invocation("x", 1, ["verify", "https://acct.blob.core.windows.net/evidence/prod/b", "--key", "k.pem"])));
    }

    [Fact]
    public void Workflow_Parses_RunsOnCronAndVerifiesUploadsArtifactAndSarif()
    {
        var doc = (YamlMappingNode)Assert.Single(ExampleCommandLines.ReadYaml(File("github-actions/evidence.yml"))).RootNode;

        var on = (YamlMappingNode)doc["on"];
        var cron = ((YamlScalarNode)((YamlMappingNode)((YamlSequenceNode)on["schedule"]).Children[0])["cron"]).Value!;
        Assert.Equal(5, cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var steps = (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)doc["jobs"])["evidence"])["steps"];
        var uses = steps.Children.OfType<YamlMappingNode>().Where(s => s.Children.ContainsKey("uses")).Select(s => ((YamlScalarNode)s["uses"]).Value!).ToList();
        Assert.Contains(uses, u => u.StartsWith("actions/upload-artifact@", StringComparison.Ordinal));
        Assert.Contains(uses, u => u.StartsWith("github/codeql-action/upload-sarif@", StringComparison.Ordinal));
        var sarif = steps.Children.OfType<YamlMappingNode>().Single(s => s.Children.TryGetValue("uses", out var u) && ((YamlScalarNode)u).Value!.StartsWith("github/codeql-action/upload-sarif@", StringComparison.Ordinal));
        Assert.EndsWith("/" + EvidenceBot.Reports.ReportWriter.SarifFile, ((YamlScalarNode)((YamlMappingNode)sarif["with"])["sarif_file"]).Value, StringComparison.Ordinal);
        var commands = ExampleCommandLines.FromYaml(File("github-actions/evidence.yml"), "w").Select(i => i.Arguments[0]).ToList();
        Assert.Equal(["run", "verify"], commands);
    }

    [Fact]
    public void CronJob_Parses_ScheduledWithoutOverlappingRuns()
    {
        var doc = (YamlMappingNode)Assert.Single(ExampleCommandLines.ReadYaml(File("kubernetes/cronjob.yaml"))).RootNode;

        Assert.Equal("CronJob", ((YamlScalarNode)doc["kind"]).Value);
        var spec = (YamlMappingNode)doc["spec"];
        Assert.Equal(5, ((YamlScalarNode)spec["schedule"]).Value!.Split(' ').Length);
        Assert.Equal("Forbid", ((YamlScalarNode)spec["concurrencyPolicy"]).Value);
    }

    [Fact]
    public void ServeDeployment_Parses_LivenessProbeOnHealthz()
    {
        var doc = (YamlMappingNode)Assert.Single(ExampleCommandLines.ReadYaml(File("kubernetes/serve-deployment.yaml"))).RootNode;

        Assert.Equal("Deployment", ((YamlScalarNode)doc["kind"]).Value);
        var container = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)doc["spec"])["template"])["spec"])["containers"]).Children[0];
        var liveness = (YamlMappingNode)((YamlMappingNode)container["livenessProbe"])["httpGet"];
        Assert.Equal("/healthz", ((YamlScalarNode)liveness["path"]).Value);
        var port = ((YamlScalarNode)liveness["port"]).Value;
        var ports = ((YamlSequenceNode)container["ports"]).Children.OfType<YamlMappingNode>();
        var probed = Assert.Single(ports, p => ((YamlScalarNode)p["name"]).Value == port);
        // The kubelet probes the pod's address, not its loopback: the configuration must listen beyond 127.0.0.1 (the
        // default), on the port the Deployment exposes.
        using var config = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(File("evidencebot.json")));
        var serve = config.RootElement.GetProperty("serve");
        Assert.Equal(((YamlScalarNode)probed["containerPort"]).Value, serve.GetProperty("port").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEqual("127.0.0.1", serve.GetProperty("address").GetString());
    }

    [Fact]
    public void SystemdUnits_Parse_ServiceRunsEvidencebotAndTimerStartsIt()
    {
        var service = ExampleCommandLines.SystemdSections(File("systemd/evidencebot.service"));
        var timer = ExampleCommandLines.SystemdSections(File("systemd/evidencebot.timer"));
        _ = ExampleCommandLines.FromSystemdUnit(File("systemd/evidencebot.timer"), "timer");   // throws on a malformed line

        Assert.Equal("oneshot", service["Service"]["Type"]);
        Assert.StartsWith("/usr/local/bin/evidencebot run ", service["Service"]["ExecStart"], StringComparison.Ordinal);
        Assert.Contains("1", service["Service"]["SuccessExitStatus"].Split(' '));
        Assert.False(string.IsNullOrEmpty(timer["Timer"]["OnCalendar"]));
        Assert.Equal("timers.target", timer["Install"]["WantedBy"]);
    }

    [Fact]
    public void FromSystemdUnit_LineWithoutEquals_FailsNamingFileAndLine()
    {
        var path = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllText(path, "[Service]\nExecStart /usr/local/bin/evidencebot run\n");

            var ex = Assert.Throws<FormatException>(() => ExampleCommandLines.FromSystemdUnit(path, "bad.service"));

            Assert.StartsWith("bad.service:2:", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void ExampleConfig_ValidatesAgainstTheComposedSchema()
    {
        var cfg = ConfigLoader.Load(File("evidencebot.json"), SourceModules.All);

        Assert.Equal("EVIDENCEBOT_STORE_CONNECTION", cfg.Store?.AzureBlob?.ConnectionStringEnv);
        Assert.Contains("EVIDENCEBOT_STORE_CONNECTION", cfg.Secrets ?? []);
    }

    [Theory]
    [InlineData("evidencebot run --config a.json --report sarif,html", new[] { "run", "--config", "a.json", "--report", "sarif,html" })]
    [InlineData("  status=$?; X=1 evidencebot verify \"dir/$(cat evidence/latest)\" --key k.pem && echo ok", new[] { "verify", "dir/$(cat evidence/latest)", "--key", "k.pem" })]
    [InlineData("echo \"evidencebot run\" # evidencebot run", new string[0])]
    [InlineData("/opt/eb/evidencebot verify 'a b' --key k \\\n  --json", new[] { "verify", "a b", "--key", "k", "--json" })]
    public void FromShell_Line_FindsTheInvocationWords(string text, string[] expected)
    {
        var found = ExampleCommandLines.FromShell(text, "f", 1).ToList();

        if (expected.Length == 0)
            Assert.Empty(found);
        else
            Assert.Equal(expected, Assert.Single(found).Arguments);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "EvidenceBot.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("EvidenceBot.sln not found above " + AppContext.BaseDirectory);
    }
}
