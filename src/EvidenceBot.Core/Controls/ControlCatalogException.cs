namespace EvidenceBot.Core.Controls;

/// <summary>One problem in a catalog or crosswalk file.</summary>
/// <param name="File">The file, as given (embedded files are named <c>rules/controls/NAME (embedded)</c>).</param>
/// <param name="JsonPath">Where in the file, e.g. <c>$.controls[12].parent</c>.</param>
/// <param name="Line">1-based line when known, else 0.</param>
/// <param name="Message">What is wrong and what to do.</param>
public sealed record CatalogError(string File, string JsonPath, int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}{(Line > 0 ? $"({Line})" : "")}: {JsonPath}: {Message}";
}

/// <summary>Thrown when control catalogs cannot be loaded; carries every problem found.</summary>
public sealed class ControlCatalogException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public ControlCatalogException(IReadOnlyList<CatalogError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a single message.</summary>
    public ControlCatalogException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates the exception with a single message and its cause.</summary>
    public ControlCatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Creates the exception.</summary>
    public ControlCatalogException()
        : this("the control catalogs could not be loaded")
    {
    }

    /// <summary>Every problem found, in file order.</summary>
    public IReadOnlyList<CatalogError> Errors { get; }
}
