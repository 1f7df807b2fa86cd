using System.Text;
using Spectre.Console;

namespace EvidenceBot.Cli.Commands;

/// <summary>
/// A table of plain-text cells. On a terminal it is drawn by Spectre.Console, with a border and colour. When the
/// output is redirected (a pipe, a CI log, a scheduled job) it is written as aligned columns without box drawing or
/// escape codes: that is what grep, diff and log viewers want, and it spares a scheduled run Spectre's start-up
/// cost. Cells may hold several lines.
/// </summary>
internal sealed class TextTable(params string[] columns)
{
    private readonly List<string[]> _rows = [];
    private readonly Dictionary<int, Func<string, string?>> _styles = [];

    /// <summary>A line written above the table.</summary>
    public string? Title { get; init; }

    /// <summary>Adds a row; missing cells are empty.</summary>
    public TextTable AddRow(params string[] cells)
    {
        var row = new string[columns.Length];
        for (var i = 0; i < row.Length; i++)
            row[i] = i < cells.Length ? cells[i] ?? "" : "";
        _rows.Add(row);
        return this;
    }

    /// <summary>Colours a column on a terminal: <paramref name="style"/> maps a cell to a Spectre style, or null.</summary>
    public TextTable Style(int column, Func<string, string?> style)
    {
        _styles[column] = style;
        return this;
    }

    /// <summary>Writes the table to the command's standard output.</summary>
    public void Write(CliContext cli)
    {
        if (cli.Interactive)
            WriteSpectre(cli);
        else
            cli.Out.Write(ToPlainText());
    }

    /// <summary>The table as aligned plain-text columns, two spaces apart, ending with a newline.</summary>
    public string ToPlainText()
    {
        var lines = _rows.Select(r => r.Select(c => c.Split('\n')).ToArray()).ToList();
        var widths = columns.Select(c => c.Length).ToArray();
        foreach (var row in lines)
        {
            for (var i = 0; i < widths.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Max(l => l.Length));
        }

        var text = new StringBuilder();
        if (Title is not null)
            text.Append(Title).Append('\n');
        AppendLine(text, columns, widths);
        foreach (var row in lines)
        {
            var height = row.Max(c => c.Length);
            for (var k = 0; k < height; k++)
                AppendLine(text, [.. row.Select(c => k < c.Length ? c[k] : "")], widths);
        }

        return text.ToString();
    }

    private static void AppendLine(StringBuilder text, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                line.Append("  ");
            line.Append(cells[i]);
            if (i < cells.Length - 1)
                line.Append(' ', widths[i] - cells[i].Length);
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }

    // Apart, and given the context rather than Spectre's console: a redirected run never loads Spectre.
    private void WriteSpectre(CliContext cli)
    {
        var table = new Table().Border(TableBorder.Rounded);
        if (Title is not null)
            table.Title(Markup.Escape(Title));
        table.AddColumns(columns);
        foreach (var row in _rows)
        {
            table.AddRow([.. row.Select((cell, i) => _styles.TryGetValue(i, out var style) && style(cell) is { } s
                ? $"[{s}]{Markup.Escape(cell)}[/]"
                : Markup.Escape(cell))]);
        }

        cli.Console.Write(table);
    }
}
