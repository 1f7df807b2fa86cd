namespace EvidenceBot.Scripting;

/// <summary>
/// The APIs a rule has no business using. .NET has no in-process sandbox, so the compiler refuses them:
/// once on the semantic model (with the line) and once on the emitted assembly's type and member
/// references (so an alias, <c>global::</c>, or a generic trick cannot slip through).
/// </summary>
public static class ApiDenyList
{
    /// <summary>
    /// Bumped whenever the list changes: part of the compile cache key, so a rule compiled under an older list is
    /// compiled and checked again. 3: directives in loaded files, and the emitted assembly references.
    /// </summary>
    public const string Version = "3";

    // Namespace prefixes (a type is denied when its namespace equals or starts with "prefix.").
    private static readonly (string Prefix, string Why)[] Namespaces =
    [
        ("System.IO", "the file system"),
        ("System.Reflection", "reflection"),
        ("System.Runtime.Loader", "dynamic assembly loading"),
        ("System.Runtime.InteropServices", "P/Invoke and native interop"),
        ("System.Net", "network access outside the sources"),
        ("Microsoft.Win32", "the registry and native handles"),
        ("System.Diagnostics", "processes and debugging"),
        ("System.Security.AccessControl", "the file system"),
        ("Octokit.Internal", "network access outside the sources"),
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
    private static readonly Dictionary<string, string> Types = new(StringComparer.Ordinal)
    {
        ["System.Environment"] = "environment variables and the process",
        ["System.AppDomain"] = "the process",
        ["System.AppContext"] = "the process",
        ["System.Activator"] = "reflection",
        ["System.Console"] = "the console (use Log)",
        ["System.GC"] = "the process",
        ["System.Threading.Thread"] = "threads that outlive the rule's time bound (use Task.Delay(…, Ct))",
        ["System.Runtime.CompilerServices.Unsafe"] = "unsafe memory access",
        ["System.Runtime.CompilerServices.ModuleInitializerAttribute"] = "code that runs on load, outside the time bound",
        ["System.Linq.Expressions.Expression"] = "reflection emit",
        ["System.Linq.Expressions.LambdaExpression"] = "reflection emit",
        ["System.Net.Http.HttpClient"] = "network access outside the sources",
        ["Octokit.GitHubClient"] = "network access outside the sources (use GitHub)",
        ["Octokit.Connection"] = "network access outside the sources (use GitHub)",
        ["Octokit.ApiConnection"] = "network access outside the sources (use GitHub)",
        ["Octokit.Credentials"] = "credentials",
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

    /// <summary>Why <paramref name="typeFullName"/> is denied, or null when a rule may use it.</summary>
    /// <param name="typeFullName">Namespace-qualified name, nested types joined with '.', no generic arity suffix.</param>
    public static string? WhyTypeDenied(string typeFullName)
    {
        if (string.IsNullOrEmpty(typeFullName) || Allowed.Contains(typeFullName)
            || typeFullName.StartsWith("System.Diagnostics.CodeAnalysis.", StringComparison.Ordinal))
            return null;
        if (Types.TryGetValue(typeFullName, out var why))
            return why;
        foreach (var (prefix, reason) in Namespaces)
        {
            if (typeFullName.StartsWith(prefix + ".", StringComparison.Ordinal))
                return reason;
        }

        return null;
    }

    /// <summary>Why member <paramref name="member"/> of <paramref name="typeFullName"/> is denied, or null.</summary>
    public static string? WhyMemberDenied(string typeFullName, string member)
    {
        if (AllowedMembers.Contains($"{typeFullName}.{member}"))
            return null;
        var name = member.StartsWith("get_", StringComparison.Ordinal) || member.StartsWith("set_", StringComparison.Ordinal) ? member[4..] : member;
        if (Members.TryGetValue($"{typeFullName}.{name}", out var why))
            return why;
        return WhyTypeDenied(typeFullName);
    }
}
