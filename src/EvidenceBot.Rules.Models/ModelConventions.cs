using System.Globalization;

namespace EvidenceBot.Rules;

/// <summary>
/// The AI-governance conventions a registry follows, every name configurable per registry (<c>models.registries[].conventions</c>).
/// Registries record no approver, purpose or risk class of their own (open-source MLflow keeps no approver and no alias
/// history at all), so the evidence rules judge lives in tags, properties or the card under these names.
/// </summary>
public sealed record ModelConventions
{
    /// <summary>The defaults documented in <c>docs/sources/models.md</c>.</summary>
    public static ModelConventions Default { get; } = new();

    /// <summary>Field naming the accountable owner. Default <c>owner</c>.</summary>
    public string OwnerField { get; init; } = "owner";

    /// <summary>Field stating the intended purpose. Default <c>intended_purpose</c>.</summary>
    public string IntendedPurposeField { get; init; } = "intended_purpose";

    /// <summary>Field holding the risk level, one of <see cref="RiskLevels"/>. Default <c>risk_level</c>.</summary>
    public string RiskLevelField { get; init; } = "risk_level";

    /// <summary>Field linking the model card. Default <c>model_card</c>.</summary>
    public string ModelCardField { get; init; } = "model_card";

    /// <summary>Field naming the human oversight measure, required for high risk. Default <c>human_oversight</c>.</summary>
    public string HumanOversightField { get; init; } = "human_oversight";

    /// <summary>Field naming who approved the promotion. Default <c>approved_by</c>.</summary>
    public string ApprovedByField { get; init; } = "approved_by";

    /// <summary>Field holding the approval date (ISO 8601). Default <c>approval_date</c>.</summary>
    public string ApprovalDateField { get; init; } = "approval_date";

    /// <summary>
    /// Field holding when the version was promoted (ISO 8601), since open-source MLflow keeps no alias history.
    /// When absent, the version's last update is the latest the promotion can have happened. Default <c>promotion_date</c>.
    /// </summary>
    public string PromotionDateField { get; init; } = "promotion_date";

    /// <summary>The accepted risk levels, lowest first. Default minimal, limited, high.</summary>
    public IReadOnlyList<string> RiskLevels { get; init; } = ["minimal", "limited", "high"];

    /// <summary>The risk level that requires human oversight and fairness metrics. Default <c>high</c>.</summary>
    public string HighRisk { get; init; } = "high";

    /// <summary>Aliases that mark a version as in production (MLflow). Default <c>champion</c>, <c>prod</c>, <c>production</c>.</summary>
    public IReadOnlyList<string> ProductionAliases { get; init; } = ["champion", "prod", "production"];

    /// <summary>
    /// The stage that marks a version as in production when no production alias is set on its model
    /// (MLflow <c>current_stage</c>, Azure ML <c>stage</c>). Default <c>Production</c>.
    /// </summary>
    public string ProductionStage { get; init; } = "Production";

    /// <summary>Prefix of evaluation metrics: <c>eval.&lt;metric&gt;</c>. Default <c>eval.</c>.</summary>
    public string EvaluationPrefix { get; init; } = "eval.";

    /// <summary>Prefix of drift metrics: <c>drift.&lt;statistic&gt;.&lt;feature&gt;</c>. Default <c>drift.</c>.</summary>
    public string DriftPrefix { get; init; } = "drift.";

    /// <summary>The drift statistics read, each a distance or a p-value. Default PSI (distance, 0.2) and KS p-value (p-value, 0.05).</summary>
    public IReadOnlyList<DriftStatistic> DriftStatistics { get; init; } =
    [
        new("psi", DriftDirection.Distance, 0.2),
        new("ks_pvalue", DriftDirection.PValue, 0.05),
    ];

    /// <summary>Prefix of tags overriding a threshold: <c>threshold.&lt;metric key&gt;</c>. Default <c>threshold.</c>.</summary>
    public string ThresholdTagPrefix { get; init; } = "threshold.";

    /// <summary>Version tag naming the run where drift is logged. Default <c>drift_run_id</c>.</summary>
    public string DriftRunTag { get; init; } = "drift_run_id";

    /// <summary>
    /// Version tag listing the monitored features, comma-separated. When absent, the features are those the drift run
    /// logged. Default <c>monitored_features</c>.
    /// </summary>
    public string MonitoredFeaturesTag { get; init; } = "monitored_features";

    /// <summary>The inventory fields every production version must carry: owner, intended purpose, risk level, model card.</summary>
    public IReadOnlyList<string> InventoryFields => [OwnerField, IntendedPurposeField, RiskLevelField, ModelCardField];

    /// <summary>True when <paramref name="version"/>'s risk level is <see cref="HighRisk"/>.</summary>
    public bool IsHighRisk(ModelVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return string.Equals(version.Field(RiskLevelField)?.Trim(), HighRisk, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The evaluation metrics of a run (keys starting with <see cref="EvaluationPrefix"/>).</summary>
    public IReadOnlyList<MetricPoint> Evaluations(SourceRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return [.. run.Metrics.Where(m => m.Key.StartsWith(EvaluationPrefix, StringComparison.Ordinal))];
    }

    /// <summary>Reads a drift metric key <c>drift.&lt;statistic&gt;.&lt;feature&gt;</c>; false when it is not one of <see cref="DriftStatistics"/>.</summary>
    public bool TryParseDrift(string key, out DriftStatistic statistic, out string feature)
    {
        ArgumentNullException.ThrowIfNull(key);
        statistic = null!;
        feature = "";
        if (!key.StartsWith(DriftPrefix, StringComparison.Ordinal))
            return false;
        var rest = key[DriftPrefix.Length..];
        foreach (var s in DriftStatistics.OrderByDescending(s => s.Name.Length))
        {
            if (rest.Length > s.Name.Length + 1 && rest.StartsWith(s.Name + ".", StringComparison.Ordinal))
            {
                statistic = s;
                feature = rest[(s.Name.Length + 1)..];
                return true;
            }
        }

        return false;
    }

    /// <summary>The metric key of a drift statistic for a feature: <c>drift.psi.age</c>.</summary>
    public string DriftKey(DriftStatistic statistic, string feature)
    {
        ArgumentNullException.ThrowIfNull(statistic);
        return $"{DriftPrefix}{statistic.Name}.{feature}";
    }

    /// <summary>
    /// The threshold for <paramref name="metricKey"/>: the tag <c>threshold.&lt;metricKey&gt;</c> on the version or its model,
    /// else, for a drift metric, <c>threshold.drift.&lt;statistic&gt;</c>, else <paramref name="fallback"/> (the rule parameter).
    /// A tag that is not a number throws <see cref="FormatException"/>: a broken override must not silently fall back.
    /// </summary>
    public double? Threshold(ModelVersion version, string metricKey, double? fallback)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(metricKey);
        var names = new List<string> { ThresholdTagPrefix + metricKey };
        if (TryParseDrift(metricKey, out var stat, out _))
            names.Add($"{ThresholdTagPrefix}{DriftPrefix}{stat.Name}");
        foreach (var name in names)
        {
            if (version.Field(name) is { } text)
            {
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                    ? v
                    : throw new FormatException($"{version.Resource}: tag {name} = '{text}' is not a number");
            }
        }

        return fallback;
    }

    /// <summary>The monitored features a version declares in <see cref="MonitoredFeaturesTag"/>; empty when it declares none.</summary>
    public IReadOnlyList<string> MonitoredFeatures(ModelVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Field(MonitoredFeaturesTag) is { } list
            ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>Reads a date field (ISO 8601, or a date alone meaning midnight UTC); null when absent or unreadable.</summary>
    public static DateTimeOffset? ParseDate(string? text) =>
        text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? d
            : null;
}

/// <summary>Whether a drift statistic signals drift when high (a distance) or when low (a p-value).</summary>
public enum DriftDirection
{
    /// <summary>A distance (PSI, Jensen–Shannon, Wasserstein): drift when the value is above the threshold.</summary>
    Distance,

    /// <summary>A test's p-value (KS, chi-squared): drift when the value is below the threshold.</summary>
    PValue,
}

/// <summary>A drift statistic logged as <c>drift.&lt;Name&gt;.&lt;feature&gt;</c>.</summary>
/// <param name="Name">The statistic's name in the metric key, e.g. <c>psi</c>.</param>
/// <param name="Direction">Distance or p-value.</param>
/// <param name="DefaultThreshold">The threshold when neither the rule parameters nor a tag set one.</param>
public sealed record DriftStatistic(string Name, DriftDirection Direction, double DefaultThreshold)
{
    /// <summary>True when <paramref name="value"/> signals drift against <paramref name="threshold"/>.</summary>
    public bool Drifts(double value, double threshold) =>
        Direction == DriftDirection.Distance ? value > threshold : value < threshold;
}
