using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;

namespace EvidenceBot.Reports.Tests;

/// <summary>
/// The HTML report in a real browser (Debian's headless Chromium, which ./test.sh installs when missing), opened from
/// file:// as an auditor opens it: no console message, no request to the network, something drawn, and the DOM holds
/// the controls, findings and digests.
/// </summary>
public sealed class HtmlChromiumTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static readonly string[] Quiet = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"];

    private static async Task<(TempDir Dir, string Html, string Bundle)> ReportAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run ./test.sh (it installs Debian's chromium when absent), or 'apt-get install -y chromium'.");
        var dir = new TempDir();
        var bundle = await ReportFixture.WriteBundleAsync(dir);
        var outDir = dir.Sub("reports");
        ReportFixture.Report(bundle, outDir, ReportFormats.Html);
        return (dir, Path.Combine(outDir, ReportWriter.HtmlFile), bundle);
    }

    [Fact]
    public async Task Html_OpenedFromFile_NoConsoleMessageAndNoNetworkRequestFromThePage()
    {
        var (dir, html, _) = await ReportAsync();
        using var _d = dir;
        var netLog = Path.Combine(dir.Path, "netlog.json");

        var (exit, _, stderr) = ReportFixture.Exec(Chromium, [.. Quiet, "--enable-logging=stderr", "--v=0", "--log-net-log=" + netLog, "--dump-dom", "file://" + html]);

        Assert.Equal(0, exit);
        // A script error, a CSP violation (any attempt to reach the network) or any console.log shows as a CONSOLE line.
        Assert.DoesNotContain(":CONSOLE", stderr, StringComparison.Ordinal);
        // Chromium's own background traffic has no origin; anything the page asked for would have one.
        using var log = JsonDocument.Parse(await File.ReadAllTextAsync(netLog));
        var fromPage = log.RootElement.GetProperty("events").EnumerateArray()
            .Where(e => e.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty("url", out var url) && !url.GetString()!.StartsWith("file:", StringComparison.Ordinal)
                && p.TryGetProperty("initiator", out var initiator) && initiator.GetString() != "not an origin")
            .Select(e => e.GetProperty("params").GetProperty("url").GetString())
            .ToList();
        Assert.Empty(fromPage);
    }

    [Fact]
    public async Task Html_DumpDom_HoldsControlsFindingsAndDigests()
    {
        var (dir, html, bundle) = await ReportAsync();
        using var _d = dir;

        var (exit, dom, stderr) = ReportFixture.Exec(Chromium, [.. Quiet, "--dump-dom", "file://" + html]);

        Assert.True(exit == 0, stderr);
        Assert.Contains("id=\"ctl-iso27001-2022-a-5-15\"", dom, StringComparison.Ordinal);
        Assert.Contains("Access control", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"rule-gh-fail\"", dom, StringComparison.Ordinal);
        Assert.Contains("octo-org/&lt;script&gt;alert(1)&lt;/script&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("source fault (transient): 503", dom, StringComparison.Ordinal);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "manifest.json")));
        foreach (var f in manifest.RootElement.GetProperty("predicate").GetProperty("files").EnumerateArray())
        {
            var path = f.GetProperty("path").GetString()!;
            if (path.StartsWith("raw/", StringComparison.Ordinal) || path.StartsWith("rules/", StringComparison.Ordinal) || path.StartsWith("statements/", StringComparison.Ordinal))
                Assert.Contains(f.GetProperty("sha256").GetString()!, dom, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Html_Screenshot_IsNotBlank()
    {
        var (dir, html, _) = await ReportAsync();
        using var _d = dir;
        var png = Path.Combine(dir.Path, "shot.png");

        var (exit, _, stderr) = ReportFixture.Exec(Chromium, [.. Quiet, "--window-size=1200,1600", "--screenshot=" + png, "file://" + html]);

        Assert.True(exit == 0 && File.Exists(png), stderr);
        var colours = DistinctColours(await File.ReadAllBytesAsync(png));
        Assert.True(colours > 8, $"the screenshot has {colours} colour(s): blank");
    }

    [Fact]
    public async Task Html_DemoRunWithReport_OpensFromFileCleanlyAndShowsItsControlsFindingsAndDigests()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run ./test.sh (it installs Debian's chromium when absent).");
        using var dir = new TempDir();
        var root = ReportFixture.RepoRoot();
        var evidence = Path.Combine(dir.Path, "evidence");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        // The demo as the README runs it (recorded GitHub answers, demo key), with the HTML report at the end.
        var exit = await EvidenceBot.Cli.CliApp.RunAsync(
            ["run", "--config", Path.Combine(root, "examples", "demo", "evidencebot.json"), "--out", evidence, "--cache-dir", Path.Combine(dir.Path, "cache"), "--report", "html"],
            stdout, stderr, TimeProvider.System);

        Assert.True(exit is 0 or 1, stdout.ToString() + stderr);
        var bundle = Directory.EnumerateDirectories(evidence).Single(d => Path.GetFileName(d) != "reports");
        var html = Path.Combine(evidence, "reports", Path.GetFileName(bundle), ReportWriter.HtmlFile);
        var netLog = Path.Combine(dir.Path, "netlog.json");
        var (chrome, dom, log) = ReportFixture.Exec(Chromium, [.. Quiet, "--enable-logging=stderr", "--v=0", "--log-net-log=" + netLog, "--dump-dom", "file://" + html]);
        Assert.Equal(0, chrome);
        Assert.DoesNotContain(":CONSOLE", log, StringComparison.Ordinal);
        Assert.DoesNotContain("UNVERIFIED", dom, StringComparison.Ordinal);
        Assert.Contains("Secure authentication", dom, StringComparison.Ordinal);
        Assert.Contains("GH-ORG-2FA", dom, StringComparison.Ordinal);
        Assert.Contains("orbital-labs/payments-api", dom, StringComparison.Ordinal);
        var manifestSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(bundle, "manifest.json"))));
        Assert.Contains(manifestSha, dom, StringComparison.Ordinal);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "manifest.json")));
        foreach (var f in manifest.RootElement.GetProperty("predicate").GetProperty("files").EnumerateArray().Where(f => f.GetProperty("path").GetString()!.StartsWith("raw/", StringComparison.Ordinal)))
            Assert.Contains(f.GetProperty("sha256").GetString()!, dom, StringComparison.Ordinal);
    }

    /// <summary>How many distinct pixel values an 8-bit RGB or RGBA PNG holds (enough of a decoder for a screenshot).</summary>
    private static int DistinctColours(byte[] png)
    {
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new NotSupportedException("colour type " + data[9]) };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }

            at += 12 + length;
        }

        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var stride = width * channels;
        var prev = new byte[stride];
        var row = new byte[stride];
        var seen = new HashSet<int>();
        for (var y = 0; y < height; y++)
        {
            var filter = z.ReadByte();
            z.ReadExactly(row);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                row[i] = (byte)(row[i] + filter switch
                {
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => 0,
                });
            }

            for (var x = 0; x < width; x += 7)
                seen.Add(row[x * channels] << 16 | row[x * channels + 1] << 8 | row[x * channels + 2]);
            (prev, row) = (row, prev);
        }

        return seen.Count;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
