using System.Text.RegularExpressions;

namespace EvidenceBot.IntegrationTests;

/// <summary>Every relative link in the README, docs and schemas points at a file (and heading) that exists.</summary>
public sealed partial class DocsLinkTests
{
    private static string Root() => RepositoryRoot.Path;

    public static TheoryData<string> MarkdownFiles()
    {
        var root = Root();
        var data = new TheoryData<string> { "README.md" };
        foreach (var f in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Markdown_RelativeLinks_Resolve(string file)
    {
        var root = Root();
        var path = Path.Combine(root, file);
        var broken = new List<string>();
        foreach (Match m in MarkdownLink().Matches(StripCode(File.ReadAllText(path))))
        {
            var target = m.Groups[1].Value;
            if (target.StartsWith("http", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                continue;
            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var (file0, anchor) = hash < 0 ? (target, null) : (target[..hash], target[(hash + 1)..]);
            var resolved = file0.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, file0));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
                broken.Add($"{target}: no such file");
            else if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(anchor))
                broken.Add($"{target}: no heading '#{anchor}' in {Path.GetRelativePath(root, resolved)}");
        }

        Assert.True(broken.Count == 0, $"{file}: {string.Join("; ", broken)}");
    }

    [Fact]
    public void Schemas_DocsTheyMention_Exist()
    {
        var root = Root();
        var broken = Directory.EnumerateFiles(Path.Combine(root, "schemas"), "*.json", SearchOption.AllDirectories)
            .SelectMany(f => DocsMention().Matches(File.ReadAllText(f)).Select(m => (File: f, Doc: m.Value)))
            .Where(x => !File.Exists(Path.Combine(root, x.Doc)))
            .Select(x => $"{Path.GetRelativePath(root, x.File)} mentions {x.Doc}")
            .ToList();

        Assert.Empty(broken);
    }

    private static HashSet<string> Anchors(string markdown) =>
        [.. StripCode(File.ReadAllText(markdown)).Split('\n').Where(l => l.StartsWith('#')).Select(l => Slug(l.TrimStart('#').Trim()))];

    // GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens.
    private static string Slug(string heading) =>
        string.Concat(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-');

    private static string StripCode(string text) => Fence().Replace(text, "");

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"docs/[A-Za-z0-9_./-]+\.md")]
    private static partial Regex DocsMention();

    [GeneratedRegex("```.*?```", RegexOptions.Singleline)]
    private static partial Regex Fence();
}
