using System.Text;
using YamlDotNet.RepresentationModel;

namespace EvidenceBot.Examples.Tests;

/// <summary>One <c>evidencebot</c> command line found in an example file.</summary>
/// <param name="File">The file, relative to the repository.</param>
/// <param name="Line">Its 1-based line in the file.</param>
/// <param name="Arguments">The arguments after <c>evidencebot</c>, as the shell or Kubernetes would pass them.</param>
internal sealed record Invocation(string File, int Line, IReadOnlyList<string> Arguments)
{
    public override string ToString() => $"{File}:{Line}: evidencebot {string.Join(' ', Arguments)}";
}

/// <summary>
/// Finds every <c>evidencebot</c> invocation in the deployment examples: shell lines in YAML strings (a workflow's
/// <c>run:</c>), Kubernetes <c>command</c> + <c>args</c> lists, and systemd <c>ExecStart=</c> lines.
/// </summary>
internal static class ExampleCommandLines
{
    /// <summary>Every YAML document in <paramref name="path"/>; throws YamlException with the position when one does not parse.</summary>
    public static List<YamlDocument> ReadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return [.. stream.Documents];
    }

    public static List<Invocation> FromYaml(string path, string shownAs)
    {
        var found = new List<Invocation>();
        foreach (var doc in ReadYaml(path))
            Walk(doc.RootNode, shownAs, found);
        return found;
    }

    private static void Walk(YamlNode node, string file, List<Invocation> found)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var command = map.Children.TryGetValue(new YamlScalarNode("command"), out var c) ? c as YamlSequenceNode : null;
                var args = map.Children.TryGetValue(new YamlScalarNode("args"), out var a) ? a as YamlSequenceNode : null;
                if (command is not null)
                {
                    var argv = command.Children.Concat(args?.Children ?? []).OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList();
                    if (argv.Count > 0 && IsEvidenceBot(argv[0]))
                        found.Add(new Invocation(file, (int)command.Start.Line, argv[1..]));
                }

                foreach (var (key, value) in map.Children)
                {
                    if (key is YamlScalarNode { Value: "command" or "args" } && value is YamlSequenceNode)
                        continue;
                    // Shell text is a workflow step's run:, a script:, or a block scalar; names and labels
                    // ("name: evidencebot") are not command lines.
                    if (value is YamlScalarNode scalar && !(key is YamlScalarNode { Value: "run" or "script" or "command" }
                        || scalar.Style is YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded))
                        continue;
                    Walk(value, file, found);
                }

                break;
            case YamlSequenceNode seq:
                foreach (var child in seq.Children)
                    Walk(child, file, found);
                break;
            case YamlScalarNode { Value: { } text } scalar:
                // A literal block starts on the line after its indicator.
                var first = (int)scalar.Start.Line + (scalar.Style is YamlDotNet.Core.ScalarStyle.Literal or YamlDotNet.Core.ScalarStyle.Folded ? 1 : 0);
                found.AddRange(FromShell(text, file, first));
                break;
        }
    }

    /// <summary>Invocations in shell text: lines joined at trailing backslashes, split into simple commands.</summary>
    public static IEnumerable<Invocation> FromShell(string text, string file, int firstLine)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var start = i;
            var line = lines[i].TrimEnd('\r');
            while (line.EndsWith('\\') && i + 1 < lines.Length)
                line = line[..^1] + " " + lines[++i].TrimEnd('\r');
            if (line.TrimStart().StartsWith('#'))
                continue;
            foreach (var words in SimpleCommands(ShellWords(line)))
            {
                var skip = words.TakeWhile(w => w.Contains('=', StringComparison.Ordinal) && !w.StartsWith('-') && !w.StartsWith('=')).Count();
                if (words.Count > skip && IsEvidenceBot(words[skip]))
                    yield return new Invocation(file, firstLine + start, words[(skip + 1)..]);
            }
        }
    }

    /// <summary>systemd <c>ExecStart=</c> (and ExecStartPre/Post) command lines of a unit file; throws FormatException on a line that is not a section, key=value or comment.</summary>
    public static List<Invocation> FromSystemdUnit(string path, string shownAs)
    {
        var found = new List<Invocation>();
        var lines = File.ReadAllLines(path);
        string? section = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var start = i;
            var line = lines[i];
            while (line.EndsWith('\\') && i + 1 < lines.Length)
                line = line[..^1] + " " + lines[++i];
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] is '#' or ';')
                continue;
            if (trimmed[0] == '[')
            {
                if (!trimmed.EndsWith(']'))
                    throw new FormatException($"{shownAs}:{start + 1}: a section header must end with ']'");
                section = trimmed[1..^1];
                continue;
            }

            var eq = trimmed.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || section is null)
                throw new FormatException($"{shownAs}:{start + 1}: expected [Section] or Key=Value, got '{trimmed}'");
            var key = trimmed[..eq].Trim();
            if (section == "Service" && key.StartsWith("ExecStart", StringComparison.Ordinal))
            {
                var words = ShellWords(trimmed[(eq + 1)..].TrimStart('-', '@', ':', '+', '!', ' '));
                if (words.Count > 0 && IsEvidenceBot(words[0]))
                    found.Add(new Invocation(shownAs, start + 1, words[1..]));
            }
        }

        return found;
    }

    /// <summary>Keys per section of a unit file (last value wins), for structural checks.</summary>
    public static Dictionary<string, Dictionary<string, string>> SystemdSections(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        foreach (var raw in File.ReadAllText(path).Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[')
                sections[line.Trim('[', ']')] = current = new Dictionary<string, string>(StringComparer.Ordinal);
            else if (current is not null && line.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
                current[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }

        return sections;
    }

    private static bool IsEvidenceBot(string word) => word == "evidencebot" || word.EndsWith("/evidencebot", StringComparison.Ordinal);

    private static IEnumerable<List<string>> SimpleCommands(List<string> words)
    {
        var current = new List<string>();
        foreach (var w in words)
        {
            if (w is "&&" or "||" or ";" or "|")
            {
                yield return current;
                current = [];
            }
            else
            {
                current.Add(w);
            }
        }

        yield return current;
    }

    /// <summary>
    /// Splits a shell line into words: single and double quotes group (and are removed), <c>$(…)</c> and <c>${…}</c>
    /// stay inside their word, <c>&amp;&amp;</c>, <c>||</c>, <c>;</c> and <c>|</c> are words of their own, <c>#</c> at a word's start ends the line.
    /// </summary>
    public static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        var depth = 0;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quote != '\0')
            {
                if (ch == quote)
                    quote = '\0';
                else
                    word.Append(ch);
                continue;
            }

            if (ch is '\'' or '"')
            {
                quote = ch;
                inWord = true;
                continue;
            }

            if (ch == '$' && i + 1 < line.Length && line[i + 1] is '(' or '{')
            {
                depth++;
                word.Append(ch).Append(line[++i]);
                inWord = true;
                continue;
            }

            if (depth > 0)
            {
                if (ch is ')' or '}')
                    depth--;
                word.Append(ch);
                continue;
            }

            if (char.IsWhiteSpace(ch) || ch is ';' or '|' or '&')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                if (ch == ';')
                    words.Add(";");
                else if (ch is '|' or '&')
                {
                    var op = i + 1 < line.Length && line[i + 1] == ch ? new string(ch, 2) : ch.ToString();
                    i += op.Length - 1;
                    if (op != "&")
                        words.Add(op);
                }

                continue;
            }

            if (ch == '#' && !inWord)
                break;
            word.Append(ch);
            inWord = true;
        }

        if (inWord)
            words.Add(word.ToString());
        return words;
    }
}
