using System.Text.Json;
using EvidenceBot.Core.IO;
using EvidenceBot.Core.Json;
using EvidenceBot.Core.Rules;

namespace EvidenceBot.Core.Controls;

/// <summary>
/// What the control catalogs answered for the control lists of a rule set, kept in a file between runs: whether every
/// id of a list is a known control, and the list expanded through the crosswalk (<see cref="ControlCatalog.Expand"/>).
/// Loading the catalogs costs a warm run ~25 ms of CPU; a run whose rules name only lists answered before never loads them.
/// <para>
/// The answers depend on nothing but the catalogs and the code that reads them, and both are built into this assembly,
/// so the file is named after the assembly's build: a new build, or a changed catalog, starts a new file. Only lists
/// whose every id is known are kept; an unknown id is asked of the catalogs every time, so its diagnostic is always fresh.
/// A file that cannot be read or written is treated as empty: it only costs the time of loading the catalogs.
/// </para>
/// </summary>
public sealed class ControlAnswers
{
    private readonly string? _path;
    private readonly Func<ControlCatalog> _catalog;
    private readonly Dictionary<string, Entry> _known;
    private readonly Lock _gate = new();
    private bool _changed;

    private ControlAnswers(string? path, Func<ControlCatalog> catalog, Dictionary<string, Entry> known)
    {
        _path = path;
        _catalog = catalog;
        _known = known;
    }

    /// <summary>True when nothing was remembered: the catalogs will be needed as soon as a rule names a control.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_gate)
                return _known.Count == 0;
        }
    }

    /// <summary>The answers remembered in <paramref name="directory"/> (none when null), asking the built-in catalogs for the rest.</summary>
    public static ControlAnswers Open(string? directory) => Open(directory, ControlCatalog.LoadDefault);

    /// <summary>As <see cref="Open(string?)"/>, with the built-in catalogs loaded by <paramref name="catalog"/> (tests count the loads).</summary>
    internal static ControlAnswers Open(string? directory, Func<ControlCatalog> catalog)
    {
        var path = directory is null ? null : Path.Combine(directory, FileName);
        return new ControlAnswers(path, catalog, path is null ? new(StringComparer.Ordinal) : Read(path));
    }

    /// <summary>The file name: one per build of the catalogs and of this code.</summary>
    public static string FileName { get; } = $"controls-{typeof(ControlAnswers).Assembly.ManifestModule.ModuleVersionId:N}.json";

    /// <summary>The diagnostics <see cref="ControlCatalog.Validate"/> gives for the rule: none when its list was answered before.</summary>
    public IReadOnlyList<RuleDiagnostic> Validate(RuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Controls.Count == 0 || Find(manifest.Controls) is not null)
            return [];
        var catalog = _catalog();
        var diagnostics = catalog.Validate(manifest);
        if (diagnostics.Count == 0)
            Remember(manifest.Controls, catalog.Expand(manifest.Controls));
        return diagnostics;
    }

    /// <summary>What <see cref="ControlCatalog.Expand"/> gives for <paramref name="direct"/>, remembered or asked of the catalogs.</summary>
    public IReadOnlyList<MappedControl> Expand(IReadOnlyList<ControlMapping> direct)
    {
        ArgumentNullException.ThrowIfNull(direct);
        if (direct.Count == 0)
            return [];
        if (Find(direct) is { } known)
            return known;
        var catalog = _catalog();
        var expanded = catalog.Expand(direct);
        if (direct.All(d => catalog.Find(d.Id) is not null))
            Remember(direct, expanded);
        return expanded;
    }

    /// <summary>Writes what was learnt since <see cref="Open(string?)"/>, atomically; does nothing when nothing was, or when there is no folder.</summary>
    public void Save()
    {
        if (_path is null)
            return;
        byte[] bytes;
        lock (_gate)
        {
            if (!_changed)
                return;
            bytes = Serialize(_known.Values);
            _changed = false;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            FileBytes.WriteAtomically(_path, bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only costs the next run the time of loading the catalogs.
        }
    }

    private IReadOnlyList<MappedControl>? Find(IReadOnlyList<ControlMapping> direct)
    {
        lock (_gate)
        {
            // The key only finds the entry; the entry's own list decides, so no two lists can share an answer.
            return _known.TryGetValue(Key(direct), out var entry) && entry.Direct.SequenceEqual(direct) ? entry.Expanded : null;
        }
    }

    private void Remember(IReadOnlyList<ControlMapping> direct, IReadOnlyList<MappedControl> expanded)
    {
        lock (_gate)
        {
            _known[Key(direct)] = new Entry([.. direct], expanded);
            _changed = true;
        }
    }

    private static string Key(IReadOnlyList<ControlMapping> direct) =>
        string.Join('\n', direct.Select(d => d.Id + " " + WireNames.Of(d.Relation)));

    private static byte[] Serialize(IEnumerable<Entry> entries) => JsonBytes.Write(w =>
    {
        w.WriteStartArray();
        foreach (var e in entries)
        {
            w.WriteStartObject();
            w.WriteControlMappings("direct", e.Direct);
            w.WriteStartArray("expanded");
            foreach (var m in e.Expanded)
            {
                w.WriteStartObject();
                w.WriteString("id", m.Id);
                w.WriteString("relation", WireNames.Of(m.Relation));
                w.WriteBoolean("derived", m.Derived);
                w.WriteString("via", m.Via);
                w.WriteString("rationale", m.Rationale);
                w.WriteBoolean("related", m.Related);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static Dictionary<string, Entry> Read(string path)
    {
        var known = new Dictionary<string, Entry>(StringComparer.Ordinal);
        try
        {
            if (!File.Exists(path))
                return known;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                List<ControlMapping> direct = [.. e.GetProperty("direct").EnumerateArray().Select(d =>
                    new ControlMapping(Required(d, "id"), WireNames.Parse<ControlRelation>(d.GetProperty("relation").GetString())))];
                List<MappedControl> expanded = [.. e.GetProperty("expanded").EnumerateArray().Select(m => new MappedControl(
                    Required(m, "id"),
                    WireNames.Parse<ControlRelation>(m.GetProperty("relation").GetString()),
                    m.GetProperty("derived").GetBoolean(),
                    m.GetProperty("via").GetString(),
                    m.GetProperty("rationale").GetString(),
                    m.GetProperty("related").GetBoolean()))];
                known[Key(direct)] = new Entry(direct, expanded);
            }

            return known;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return new(StringComparer.Ordinal); // a damaged file is no answers at all, never half of them
        }
    }

    private static string Required(JsonElement element, string name) =>
        element.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");

    private sealed record Entry(List<ControlMapping> Direct, IReadOnlyList<MappedControl> Expanded);
}
