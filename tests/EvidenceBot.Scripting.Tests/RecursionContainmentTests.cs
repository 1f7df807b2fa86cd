using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Time.Testing;

namespace EvidenceBot.Scripting.Tests;

/// <summary>
/// A stack overflow cannot be caught in .NET: without the injected guard each of these rules would end the whole process
/// (and this test run with it). With it, the rule alone ends as an error and the others run.
/// </summary>
public sealed class RecursionContainmentTests
{
    public static TheoryData<string, string> Recursions() => new()
    {
        { "expression-bodied method", "int F(int n) => F(n + 1) + 1;\nPass(\"x\", F(0).ToString());" },
        { "block-bodied method", "int F(int n) { return F(n + 1) + 1; }\nPass(\"x\", F(0).ToString());" },
        { "local function", "void Run() { int L(int n) => L(n + 1) + 1; Pass(\"x\", L(0).ToString()); }\nRun();" },
        { "lambda", "Func<int, int> f = null!;\nf = n => f(n + 1) + 1;\nPass(\"x\", f(0).ToString());" },
        { "void lambda", "Action<int> a = null!;\na = n => a(n + 1);\na(0);\nPass(\"x\", \"y\");" },
        { "mutual recursion", "int A(int n) => B(n) + 1;\nint B(int n) => A(n) + 1;\nPass(\"x\", A(0).ToString());" },
        { "property", "int P => P + 1;\nPass(\"x\", P.ToString());" },
        { "caught and passed anyway", "int F(int n) => F(n + 1) + 1;\ntry { F(0); } catch (Exception) { }\nPass(\"x\", \"fine, supposedly\");" },
    };

    [Theory]
    [MemberData(nameof(Recursions))]
    public async Task Run_UnboundedRecursion_IsAnErrorForThatRuleAloneWhileTheOthersPass(string kind, string body)
    {
        using var t = new TempRules();
        t.Rule("deep.csx", "DEEP-1", body);
        t.Rule("fine.csx", "FINE-1", "Pass(\"y\", \"fine\");");
        var set = t.Load();
        Assert.True(set.Rules.All(r => r.Program is not null), kind + ": " + string.Join("; ", set.Diagnostics));
        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = TimeSpan.FromSeconds(60) }, new FakeTimeProvider());

        var run = await engine.RunAsync([.. set.Rules.Select(r => new RuleExecution(r, "default", r.Manifest.Parameters))], "run");

        var deep = run.Rules.Single(r => r.RuleId == "DEEP-1");
        Assert.Equal(Verdict.Error, deep.Verdict);
        Assert.Contains("recursed too deeply", deep.Error, StringComparison.Ordinal);
        Assert.Equal(Verdict.Pass, run.Rules.Single(r => r.RuleId == "FINE-1").Verdict);
    }

    [Fact]
    public void Compile_ExpressionBodiesRewritten_KeepTheirLineNumbers()
    {
        using var t = new TempRules();
        t.Rule("lines.csx", "LINES-1", "int F(int n) =>\n    n + 1;\nint P => 2;\nFunc<int, int> g = x => F(x);\nundefinedName++;");

        var e = Assert.Single(t.Load().Diagnostics, d => d.Severity == DiagnosticSeverity.Error);

        Assert.Equal("CS0103", e.Code);
        Assert.Equal(8, e.Location.Line); // header 3 lines + '--- */' + five lines of body: the fifth
    }

    [Fact]
    public async Task Run_DeepButBoundedRecursion_StillRuns()
    {
        using var t = new TempRules();
        t.Rule("ok.csx", "OK-1", "int Depth(int n) => n == 0 ? 0 : Depth(n - 1) + 1;\nCheck(\"x\", Depth(2000) == 2000, \"2000 levels\");");
        var rule = Assert.Single(t.Load().Rules);

        var result = await new RuleEngine(new EngineOptions(), new FakeTimeProvider()).ExecuteAsync(new RuleExecution(rule, "default", rule.Manifest.Parameters));

        Assert.Equal(Verdict.Pass, result.Verdict);
    }
}
