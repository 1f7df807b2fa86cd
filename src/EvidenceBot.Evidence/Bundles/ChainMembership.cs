using System.Text.Json;

namespace EvidenceBot.Evidence.Bundles;

/// <summary>
/// Whether a bundle is part of its output folder's chain, when that folder's <c>chain-head.json</c> is at hand. A run
/// killed after signing but before its final rename leaves a complete, signed bundle that no later run links to: it
/// verifies on its own, so only this check tells an auditor it is outside the chain.
/// </summary>
internal static class ChainMembership
{
    private const string Check = "chain.membership";

    /// <summary>Adds a pass or a failure to <paramref name="c"/>; adds nothing when the output folder has no chain head.</summary>
    /// <param name="bundlePath">The bundle folder or archive as the auditor named it; its parent is taken as the output folder.</param>
    /// <param name="manifestSha">The bundle's manifest digest.</param>
    /// <param name="c">Where the result goes.</param>
    public static void Add(string bundlePath, string manifestSha, CheckCollector c)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(bundlePath));
        var outputRoot = Path.GetDirectoryName(full);
        if (outputRoot is null || !File.Exists(Path.Combine(outputRoot, BundleLayout.ChainHead)))
            return;
        ChainHead? head;
        try
        {
            head = EvidenceBundleWriter.ReadChainHead(outputRoot);
        }
        catch (InvalidDataException ex)
        {
            c.Fail(Check, ".", $"cannot tell whether this bundle is in the chain: {ex.Message}");
            return;
        }

        if (head is null)
            return;
        var name = Path.GetFileName(full);
        if (name.EndsWith(".tar.gz", StringComparison.Ordinal))
            name = name[..^".tar.gz".Length];
        if (name.StartsWith(BundleLayout.PartialPrefix, StringComparison.Ordinal))
            name = name[BundleLayout.PartialPrefix.Length..];

        var headPath = Path.Combine(outputRoot, BundleLayout.ChainHead);
        var headCommitted = Directory.Exists(Path.Combine(outputRoot, head.Bundle));
        if (head.ManifestSha256 == manifestSha && headCommitted)
        {
            c.Pass(Check, ".", $"the chain head ({headPath}) is this bundle");
            return;
        }

        if (LinkedFrom(outputRoot, manifestSha) is { } next)
        {
            c.Pass(Check, ".", $"in the chain of {outputRoot}: {next} links to this bundle's manifest");
            return;
        }

        if (head.ManifestSha256 == manifestSha || string.Equals(head.Bundle, name, StringComparison.Ordinal))
        {
            c.Fail(Check, ".", $"not in the chain: this bundle was signed, but its run was killed before the final rename into {Path.Combine(outputRoot, head.Bundle)}; "
                + $"{headPath} names it, and the next run links to {head.PreviousManifestSha256 ?? "no previous run"} instead. It records that attempt; it is not part of the evidence chain");
            return;
        }

        c.Fail(Check, ".", $"not in the chain: no bundle in {outputRoot} links to this bundle's manifest {manifestSha}, and {headPath} names {head.Bundle}");
    }

    /// <summary>The committed bundle in <paramref name="outputRoot"/> whose manifest links to <paramref name="manifestSha"/>, or null.</summary>
    private static string? LinkedFrom(string outputRoot, string manifestSha)
    {
        foreach (var dir in Directory.EnumerateDirectories(outputRoot).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            var manifest = Path.Combine(dir, BundleLayout.Manifest);
            if (name.StartsWith(BundleLayout.PartialPrefix, StringComparison.Ordinal) || !File.Exists(manifest))
                continue;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
                if (doc.RootElement.TryGetProperty("predicate", out var p) && p.ValueKind == JsonValueKind.Object
                    && p.TryGetProperty("previousManifestSha256", out var prev) && prev.ValueKind == JsonValueKind.String
                    && prev.GetString() == manifestSha)
                    return name;
            }
            catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
            {
                // Another bundle's damage is its own verification's business.
            }
        }

        return null;
    }
}
