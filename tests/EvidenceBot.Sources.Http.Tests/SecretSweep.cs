using System.Text;

namespace EvidenceBot.Sources.Http.Tests;

/// <summary>Sweeps every file below a folder for a secret in the forms a file may hold it: raw, JSON-escaped, percent-encoded.</summary>
internal static class SecretSweep
{
    /// <summary>What a sweep looks for: every encoding of the secret, and its longest plain run (which no encoding touches).</summary>
    public static IEnumerable<string> Forms(string secret) =>
        Encodings(secret).Append(secret.Split('-', '/', '+', '.').OrderByDescending(p => p.Length).First());

    /// <summary>The forms a service may echo a secret in: raw, JSON-escaped in several ways, percent-encoded.</summary>
    public static IEnumerable<string> Encodings(string secret)
    {
        yield return secret;
        // System.Text.Json's default escaping of '+', '<', '>', '&', '\'' and a producer escaping '-' (\u002D).
        yield return string.Concat(secret.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c.ToString() : $"\\u{(int)c:X4}"));
        yield return string.Concat(secret.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c.ToString() : $"\\u{(int)c:x4}"));
        yield return string.Concat(secret.Select(c => $"\\u{(int)c:X4}"));
        yield return Uri.EscapeDataString(secret);
        yield return string.Concat(secret.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c.ToString() : $"%{(int)c:X2}"));
        yield return string.Concat(secret.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c.ToString() : $"%{(int)c:x2}"));
    }

    /// <summary>Every file below <paramref name="folder"/> and the forms of each secret found in it; empty when clean.</summary>
    public static IReadOnlyList<string> Find(string folder, params string[] secrets)
    {
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(file));
            foreach (var secret in secrets)
            {
                foreach (var form in Forms(secret).Distinct())
                {
                    if (text.Contains(form, StringComparison.OrdinalIgnoreCase))
                        found.Add($"{Path.GetRelativePath(folder, file)}: '{form}'");
                }
            }
        }

        return found;
    }

    /// <summary>How many files the sweep read, so a test can show it swept something.</summary>
    public static int Count(string folder) => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count();
}
