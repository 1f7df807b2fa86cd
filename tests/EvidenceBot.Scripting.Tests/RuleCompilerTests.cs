using System.Text.Json;
using EvidenceBot.Core.Engine;
using EvidenceBot.Core.Rules;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace EvidenceBot.Scripting.Tests;

public class RuleCompilerTests
{
    private static async Task<RuleExecutionResult> RunOne(RuleSet set, TimeSpan? timeout = null)
    {
        var rule = Assert.Single(set.Rules);
        var engine = new RuleEngine(new EngineOptions { DefaultRuleTimeout = timeout ?? TimeSpan.FromSeconds(30), AbandonGrace = TimeSpan.FromSeconds(2) }, new FakeTimeProvider());
        return await engine.ExecuteAsync(new RuleExecution(rule, "default", rule.Manifest.Parameters));
    }

    [Fact]
    public void Compile_SyntaxError_ReportsFileLineColumnCodeAndRuleId()
    {
        using var t = new TempRules();
        t.Rule("bad.csx", "BAD-1", "var x = 1\nPass(\"a\", \"b\");");

        var set = t.Load();

        var rule = Assert.Single(set.Rules);
        Assert.Null(rule.Program);
        var e = Assert.Single(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS1002", e.Code);
        Assert.Equal(5, e.Location.Line);
        Assert.Equal("BAD-1", e.RuleId);
        Assert.Matches(@"bad\.csx\(5,\d+\): error CS1002: ; expected \[BAD-1\]$", e.ToString());
    }

    [Theory]
    [InlineData("string? name = null;\nPass(name!, \"fine\");", "needs a resource")]
    [InlineData("string? why = null;\nCheck(\"repo-a\", true, why!);", "'repo-a' needs a message")]
    public async Task Run_FindingWithNullResourceOrMessage_IsAnErrorNotAPass(string body, string expected)
    {
        // Evidence with a null resource or message could not be verified against the statement schema.
        using var t = new TempRules();
        t.Rule("n.csx", "NULL-1", body);

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Empty(result.Findings);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_TypeError_PointsAtTheRuleLineNotTheInjectedCode()
    {
        using var t = new TempRules();
        t.Rule("bad.csx", "BAD-2", "for (var i = 0; i < 3; i++)\n{\n    int n = \"text\";\n}");

        var set = t.Load();

        var e = Assert.Single(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS0029", e.Code);
        Assert.Equal(7, e.Location.Line);
    }

    [Fact]
    public async Task Run_GoodRule_ReportsFindingsWithObservedValuesAndParameters()
    {
        using var t = new TempRules();
        t.Rule("ok.csx", "OK-1", "var min = Param<int>(\"min\");\nCheck(\"repo-a\", 3 >= min, \"three approvals\", new { approvals = 3 });\nFail(\"repo-b\", \"none\");\nLog.Info(\"done\");",
            "parameters: { min: 2 }\n");

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.Fail, result.Verdict);
        Assert.Equal(2, result.Findings.Count);
        Assert.Equal(Verdict.Pass, result.Findings[0].Status);
        Assert.Equal(3, result.Findings[0].Observed!.Value.GetProperty("approvals").GetInt32());
        Assert.Equal(["info: done"], result.Log);
    }

    [Fact]
    public async Task Run_RuleRecordsNothing_IsNotApplicableNotPass()
    {
        using var t = new TempRules();
        t.Rule("empty.csx", "EMPTY-1", "var x = 1;");

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.NotApplicable, result.Verdict);
    }

    [Fact]
    public async Task Run_CpuBoundLoop_IsStoppedByTimeoutAsError()
    {
        using var t = new TempRules();
        t.Rule("loop.csx", "LOOP-1", "Pass(\"early\", \"recorded before the loop\");\nvar i = 0L;\nwhile (true) { i++; }", "timeout: 300ms\n");

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Equal("timed out after 300ms", result.Error);
        Assert.Single(result.Findings);
    }

    [Theory]
    [InlineData("void Spin() { for (;;) { } }\nSpin();")]
    [InlineData("Action spin = () => { do { } while (true); };\nspin();")]
    [InlineData("top:\nvar n = 1;\ngoto top;")]
    [InlineData("int Deep(int n) { var s = 0; foreach (var x in Enumerable.Range(0, int.MaxValue)) s += x; return s; }\nDeep(1);")]
    public async Task Run_LoopsInMethodsLambdasAndGotos_AreStoppedByTimeout(string body)
    {
        using var t = new TempRules();
        t.Rule("loop.csx", "LOOP-2", body, "timeout: 300ms\n");

        var set = t.Load();
        Assert.DoesNotContain(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var result = await RunOne(set);

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Equal("timed out after 300ms", result.Error);
    }

    [Fact]
    public async Task Run_RuleThrows_IsErrorWithTheExceptionAndKeepsEarlierFindings()
    {
        using var t = new TempRules();
        t.Rule("throw.csx", "THROW-1", "Pass(\"a\", \"fine\");\nthrow new InvalidOperationException(\"no data for repo b\");");

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("no data for repo b", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Findings);
    }

    [Fact]
    public async Task Run_UndeclaredParameter_IsErrorNamingIt()
    {
        using var t = new TempRules();
        t.Rule("p.csx", "PARAM-1", "Check(\"a\", Param<int>(\"missing\") > 0, \"m\");");

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("'missing'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ParameterOfWrongType_IsErrorNamingTheType()
    {
        using var t = new TempRules();
        t.Rule("p.csx", "PARAM-2", "Check(\"a\", Param<int>(\"min\") > 0, \"m\");", "parameters: { min: \"two\" }\n");

        var result = await RunOne(t.Load());

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("not a Int32", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SourceNotConfigured_IsErrorNotPass()
    {
        using var t = new TempRules();
        t.Rule("s.csx", "SRC-1", "Pass(\"a\", \"b\");\nvar p = Param<string>(\"x\");", "parameters: { x: y }\n");
        var set = t.Load();
        var rule = Assert.Single(set.Rules);
        var engine = new RuleEngine(new EngineOptions(), new FakeTimeProvider());
        var program = Substitute.For<IRuleProgram>();
        program.ExecuteAsync(Arg.Any<RuleContext>()).Returns(ci =>
        {
            var ctx = ci.Arg<RuleContext>();
            ctx.Report(new Finding("a", Verdict.Pass, "ok"));
            ctx.ReportFault("github: token lacks scope read:org");
            return Task.CompletedTask;
        });

        var result = await engine.ExecuteAsync(new RuleExecution(LoadedRule.Ready(rule.Manifest, program), "default", new Dictionary<string, JsonElement>()));

        Assert.Equal(Verdict.Error, result.Verdict);
        Assert.Contains("read:org", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OneBrokenRule_DoesNotStopTheOthers()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "A-1", "Pass(\"a\", \"b\");");
        t.Rule("b.csx", "B-1", "this does not compile");
        t.Write("c.csx", "no header at all");
        t.Rule("d.csx", "D-1", "Pass(\"d\", \"e\");");

        var set = t.Load();

        Assert.Equal(3, set.Rules.Count);
        Assert.NotNull(set.Rules.Single(r => r.Manifest.Id == "A-1").Program);
        Assert.NotNull(set.Rules.Single(r => r.Manifest.Id == "D-1").Program);
        Assert.Null(set.Rules.Single(r => r.Manifest.Id == "B-1").Program);
        Assert.Contains(set.Diagnostics, d => d.Code == "EB0001" && d.Location.File.EndsWith("c.csx", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_DuplicateIds_AreRejected()
    {
        using var t = new TempRules();
        t.Rule("a.csx", "SAME", "Pass(\"a\", \"b\");");
        t.Rule("b.csx", "SAME", "Pass(\"a\", \"b\");");

        var set = t.Load();

        Assert.Contains(set.Diagnostics, d => d.Code == "EB0012" && d.Message.Contains("unique", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_ManyFiles_KeepsFileOrderForRulesDiagnosticsAndDuplicates()
    {
        using var t = new TempRules();
        var expectedRules = new List<string>();
        var expectedProblems = new List<(string Code, string File)>();
        for (var i = 0; i < 40; i++)
        {
            var file = $"r{i:00}.csx";
            if (i % 10 == 3)
            {
                t.Write(file, "Pass(\"a\", \"no header\");");
                expectedProblems.Add(("EB0001", file));
            }
            else if (i % 10 == 7)
            {
                t.Rule(file, "DUP", "Pass(\"a\", \"b\");");
                if (i == 7)
                    expectedRules.Add("DUP");
                else
                    expectedProblems.Add(("EB0012", file)); // the first file keeps the id
            }
            else
            {
                t.Rule(file, $"R-{i:00}", "Pass(\"a\", \"b\");");
                expectedRules.Add($"R-{i:00}");
            }
        }

        foreach (var pass in new[] { "cold", "warm" })
        {
            var set = t.Load();

            Assert.Equal(expectedRules, set.Rules.Select(r => r.Manifest.Id).ToList());
            Assert.EndsWith("r07.csx", set.Rules.Single(r => r.Manifest.Id == "DUP").Manifest.SourcePath, StringComparison.Ordinal);
            Assert.Equal(expectedProblems, set.Diagnostics.Select(d => (d.Code, Path.GetFileName(d.Location.File))).ToList());
            Assert.All(set.Rules, r => Assert.NotNull(r.Program));
        }
    }
}
