using System.Text;
using NJsonSchema.Validation;

namespace EvidenceBot.Core.Json;

/// <summary>Helpers for reporting NJsonSchema validation errors.</summary>
public static class SchemaErrors
{
    /// <summary>
    /// NJsonSchema nests the errors of <c>oneOf</c>/<c>anyOf</c>/<c>items</c> branches; a user needs the leaves,
    /// each with its own path and line.
    /// </summary>
    public static IEnumerable<ValidationError> Flatten(IEnumerable<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var e in errors)
        {
            if (e is ChildSchemaValidationError child && child.Errors.Count > 0)
            {
                foreach (var inner in Flatten(child.Errors.SelectMany(x => x.Value)))
                    yield return inner;
            }
            else
            {
                yield return e;
            }
        }
    }

    /// <summary>What the document holds where the error is, quoted (<c> (found "passed")</c>), so a message says what to change; empty when unknown.</summary>
    public static string Found(ValidationError e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Token is { } found ? $" (found {found.ToString(Newtonsoft.Json.Formatting.None)})" : "";
    }

    /// <summary>An error kind as words: <c>NumberExpected</c> → <c>number expected</c>.</summary>
    public static string Humanize(ValidationErrorKind kind)
    {
        var sb = new StringBuilder();
        foreach (var c in kind.ToString())
        {
            if (char.IsUpper(c) && sb.Length > 0)
                sb.Append(' ');
            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
