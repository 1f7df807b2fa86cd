namespace EvidenceBot.Core.Rules;

/// <summary><c>*</c> (any run of characters, <c>/</c> included) and <c>?</c> (one character) matching, ordinal.</summary>
public static class ResourceGlob
{
    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/> whole.</summary>
    public static bool Matches(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
