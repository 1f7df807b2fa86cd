namespace EvidenceBot.Scripting;

/// <summary>
/// The APIs a rule has no business using. .NET has no in-process sandbox, so the compiler refuses them:
/// once on the semantic model (with the line) and once on the emitted assembly's type and member
/// references (so an alias, <c>global::</c>, or a generic trick cannot slip through).
/// </summary>
public sealed class ApiDenyList
{
    /// <summary>
    /// Bumped when how the list is applied changes (not its entries: <see cref="Fingerprint"/> follows them).
    /// 3: directives in loaded files, and the emitted assembly references.
    /// </summary>
    private const string CheckVersion = "3";

    // Namespace prefixes (a type is denied when its namespace equals or starts with "prefix.").
    private static readonly (string Prefix, string Why)[] BaseNamespaces =
    [
        ("System.IO", "the file system"),
        ("System.Reflection", "reflection"),
        ("System.Runtime.Loader", "dynamic assembly loading"),
        ("System.Runtime.InteropServices", "P/Invoke and native interop"),
        ("System.Net", "network access outside the sources"),
        ("Microsoft.Win32", "the registry and native handles"),
        ("System.Diagnostics", "processes and debugging"),
        ("System.Security.AccessControl", "the file system"),
    ];

    // Types allowed inside a denied namespace: harmless and useful to rules.
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "System.IO.Stream", "System.IO.MemoryStream", "System.IO.StringReader", "System.IO.StringWriter",
        "System.IO.TextReader", "System.IO.TextWriter", "System.IO.IOException", "System.IO.InvalidDataException",
        "System.IO.SeekOrigin", "System.Net.HttpStatusCode", "System.Net.WebUtility",
        "System.Diagnostics.Stopwatch", "System.Diagnostics.CodeAnalysis.NotNullWhenAttribute",
        "System.Diagnostics.CodeAnalysis.MaybeNullWhenAttribute", "System.Diagnostics.CodeAnalysis.NotNullAttribute",
        "System.Diagnostics.DebuggerHiddenAttribute", "System.Diagnostics.DebuggerStepThroughAttribute",
        "System.Diagnostics.DebuggerBrowsableAttribute", "System.Diagnostics.DebuggerBrowsableState",
        "System.Diagnostics.DebuggableAttribute", "System.Diagnostics.DebuggableAttribute.DebuggingModes",
        "System.Diagnostics.DebuggerDisplayAttribute", "System.Diagnostics.DebuggerNonUserCodeAttribute",
        "System.Diagnostics.DebuggerStepperBoundaryAttribute", "System.Diagnostics.StackTraceHiddenAttribute",
        "System.Reflection.AssemblyCompanyAttribute", "System.Reflection.AssemblyConfigurationAttribute",
        "System.Reflection.AssemblyFileVersionAttribute", "System.Reflection.AssemblyInformationalVersionAttribute",
        "System.Reflection.AssemblyProductAttribute", "System.Reflection.AssemblyTitleAttribute",
        "System.Reflection.DefaultMemberAttribute",
    };

    // Whole types outside the denied namespaces.
    private static readonly Dictionary<string, string> BaseTypes = new(StringComparer.Ordinal)
    {
        ["System.Environment"] = "environment variables and the process",
        ["System.AppDomain"] = "the process",
        ["System.AppContext"] = "the process",
        ["System.Activator"] = "reflection",
        ["System.Console"] = "the console (use Log)",
        ["System.GC"] = "the process",
        ["System.Threading.Thread"] = "threads that outlive the rule's time bound (use Task.Delay(…, Ct))",
        ["System.Threading.ThreadPool"] = "the engine's thread pool: work queued there outlives the rule's time bound (use await)",
        ["System.Threading.Timer"] = "callbacks that run after the rule's time bound (use Task.Delay(…, Ct))",
        ["System.Timers.Timer"] = "callbacks that run after the rule's time bound (use Task.Delay(…, Ct))",
        ["System.Runtime.CompilerServices.Unsafe"] = "unsafe memory access",
        ["System.Runtime.CompilerServices.ModuleInitializerAttribute"] = "code that runs on load, outside the time bound",
        ["System.Linq.Expressions.Expression"] = "reflection emit",
        ["System.Linq.Expressions.LambdaExpression"] = "reflection emit",
        ["System.Net.Http.HttpClient"] = "network access outside the sources",
    };

    // Members that stay usable although their type is denied.
    private static readonly HashSet<string> AllowedMembers = new(StringComparer.Ordinal)
    {
        "System.Environment.NewLine", "System.Environment.get_NewLine",
        "System.Reflection.MemberInfo.Name", "System.Reflection.MemberInfo.get_Name",
    };

    // Members of allowed types that open a door.
    private static readonly Dictionary<string, string> Members = new(StringComparer.Ordinal)
    {
        ["System.Type.GetType"] = "reflection",
        ["System.Delegate.DynamicInvoke"] = "reflection",
        ["System.Delegate.Method"] = "reflection",
        ["System.Delegate.CreateDelegate"] = "reflection",
        ["System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor"] = "the runtime",
        ["System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject"] = "the runtime",
        ["System.Type.InvokeMember"] = "reflection",
        ["System.Globalization.CultureInfo.DefaultThreadCurrentCulture"] = "state shared by every rule in the process (format with CultureInfo.InvariantCulture instead)",
        ["System.Globalization.CultureInfo.DefaultThreadCurrentUICulture"] = "state shared by every rule in the process",
        ["System.Type.GetMethod"] = "reflection",
        ["System.Type.GetMethods"] = "reflection",
        ["System.Type.GetField"] = "reflection",
        ["System.Type.GetFields"] = "reflection",
        ["System.Type.GetProperty"] = "reflection",
        ["System.Type.GetProperties"] = "reflection",
        ["System.Type.GetMember"] = "reflection",
        ["System.Type.GetMembers"] = "reflection",
        ["System.Type.GetConstructor"] = "reflection",
        ["System.Type.GetConstructors"] = "reflection",
        ["System.Type.Assembly"] = "reflection",
        ["System.Type.Module"] = "reflection",
        ["System.Type.MakeGenericType"] = "reflection",
        ["System.Type.GetInterface"] = "reflection",
        ["System.Type.GetEvents"] = "reflection",
        ["System.Type.GetNestedType"] = "reflection",
        ["System.Type.GetNestedTypes"] = "reflection",
    };

    private readonly (string Prefix, string Why)[] _namespaces;
    private readonly Dictionary<string, string> _types;

    private ApiDenyList((string Prefix, string Why)[] namespaces, Dictionary<string, string> types)
    {
        _namespaces = namespaces;
        _types = types;
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>The list every rule is held to, whatever its sources.</summary>
    public static ApiDenyList Base { get; } = new(BaseNamespaces, BaseTypes);

    /// <summary>
    /// A digest of the entries and of how they are applied: part of the compile cache key, so a rule compiled under
    /// another list (a module added an entry, say) is compiled and checked again. Follows from the content; never bumped by hand.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>This list plus what the sources' contracts deny (e.g. their SDK's clients and credential types).</summary>
    public ApiDenyList With(IEnumerable<EvidenceBot.Core.Sources.RuleContract> contracts)
    {
        ArgumentNullException.ThrowIfNull(contracts);
        var namespaces = _namespaces.ToList();
        var types = new Dictionary<string, string>(_types, StringComparer.Ordinal);
        foreach (var c in contracts)
        {
            namespaces.AddRange(c.DeniedNamespaces.Select(kv => (kv.Key, kv.Value)));
            foreach (var (type, why) in c.DeniedTypes)
                types[type] = why;
        }

        return new ApiDenyList([.. namespaces.Distinct()], types);
    }

    /// <summary>Why <paramref name="typeFullName"/> is denied, or null when a rule may use it.</summary>
    /// <param name="typeFullName">Namespace-qualified name, nested types joined with '.', no generic arity suffix.</param>
    public string? WhyTypeDenied(string typeFullName)
    {
        if (string.IsNullOrEmpty(typeFullName) || Allowed.Contains(typeFullName)
            || typeFullName.StartsWith("System.Diagnostics.CodeAnalysis.", StringComparison.Ordinal))
            return null;
        if (_types.TryGetValue(typeFullName, out var why))
            return why;
        foreach (var (prefix, reason) in _namespaces)
        {
            if (typeFullName.StartsWith(prefix + ".", StringComparison.Ordinal))
                return reason;
        }

        return null;
    }

    /// <summary>Why member <paramref name="member"/> of <paramref name="typeFullName"/> is denied, or null.</summary>
    public string? WhyMemberDenied(string typeFullName, string member)
    {
        if (AllowedMembers.Contains($"{typeFullName}.{member}"))
            return null;
        var name = member.StartsWith("get_", StringComparison.Ordinal) || member.StartsWith("set_", StringComparison.Ordinal) ? member[4..] : member;
        if (Members.TryGetValue($"{typeFullName}.{name}", out var why))
            return why;
        return WhyTypeDenied(typeFullName);
    }

    private string ComputeFingerprint()
    {
        var sb = new System.Text.StringBuilder("check=").Append(CheckVersion);
        void Add(string section, IEnumerable<string> lines)
        {
            sb.Append('\n').Append(section);
            foreach (var line in lines.Order(StringComparer.Ordinal))
                sb.Append('\n').Append(line);
        }

        Add("namespaces", _namespaces.Select(n => n.Prefix + "=" + n.Why));
        Add("types", _types.Select(t => t.Key + "=" + t.Value));
        Add("allowed", Allowed);
        Add("members", Members.Select(m => m.Key + "=" + m.Value));
        Add("allowedMembers", AllowedMembers);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sb.ToString())))[..16];
    }
}
