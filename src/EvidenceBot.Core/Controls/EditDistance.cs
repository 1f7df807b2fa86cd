namespace EvidenceBot.Core.Controls;

/// <summary>Edit distance for "did you mean" suggestions: Levenshtein plus adjacent transpositions (optimal string alignment), since swapped digits are a common typo.</summary>
internal static class EditDistance
{
    /// <summary>Insertions, deletions, substitutions and adjacent swaps to turn <paramref name="a"/> into <paramref name="b"/>, ignoring case.</summary>
    public static int Compute(string a, string b)
    {
        var beforePrevious = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = Same(a[i - 1], b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && Same(a[i - 1], b[j - 2]) && Same(a[i - 2], b[j - 1]))
                    current[j] = Math.Min(current[j], beforePrevious[j - 2] + 1);
            }

            (beforePrevious, previous, current) = (previous, current, beforePrevious);
        }

        return previous[b.Length];
    }

    private static bool Same(char x, char y) => char.ToUpperInvariant(x) == char.ToUpperInvariant(y);

    /// <summary>
    /// The <paramref name="count"/> candidates closest to <paramref name="id"/>: fewest edits, then swapped characters
    /// (same letters), then similar length, then longest common prefix, then candidate order.
    /// </summary>
    public static IReadOnlyList<string> Closest(string id, IEnumerable<string> candidates, int count)
    {
        var letters = Letters(id);
        return [.. candidates
            .Select((c, position) => (Id: c, Distance: Compute(id, c), Anagram: Letters(c) == letters, Prefix: CommonPrefix(id, c), position))
            .OrderBy(x => x.Distance)
            .ThenByDescending(x => x.Anagram)
            .ThenBy(x => Math.Abs(x.Id.Length - id.Length))
            .ThenByDescending(x => x.Prefix)
            .ThenBy(x => x.position)
            .Take(count)
            .Select(x => x.Id)];
    }

    private static string Letters(string s) => new([.. s.ToUpperInvariant().Order()]);

    /// <summary>Length of the common prefix, ignoring case.</summary>
    public static int CommonPrefix(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && Same(a[n], b[n]))
            n++;
        return n;
    }
}
