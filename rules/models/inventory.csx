/* ---
id: MODEL-INVENTORY
title: Every production model version carries the inventory fields an AI auditor asks for
description: >
  Per production version (configured aliases, else the production stage): owner, intended purpose, risk level
  (one of the configured levels) and a model card link are set; high-risk versions also name their human oversight.
  Fields are read from tags (MLflow), properties (Azure ML) under the registry's configured names.
severity: high
sources: [models]
controls:
  - { id: "ISO42001:2023/A.4.2", relation: supports }
  - { id: "ISO42001:2023/A.3.2", relation: supports }
  - { id: "ISO42001:2023/A.9.4", relation: supports }
  - { id: "NISTAIRMF:1.0/GOVERN-1.6", relation: satisfies }
  - { id: "NISTAIRMF:1.0/MAP-1.1", relation: supports }
  - { id: "EUAIA:2024/Art.11", relation: partial }
  - { id: "EUAIA:2024/Art.14", relation: partial }
  - { id: "ISO27001:2022/A.5.9", relation: supports }
timeout: 5m
freshness: 24h
--- */
var c = Models.Conventions;
if (Models.Kind == RegistryKind.HuggingFace)
{
    NotApplicable(Models.Registry, "third-party Hugging Face models are judged by MODEL-HF-THIRD-PARTY");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the registry holds no registered models: an empty inventory is not evidence of compliance; check the URL and the identity's read permission", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} registered model(s), none in production (aliases {string.Join("/", c.ProductionAliases)}, else stage {c.ProductionStage}): nothing to judge");
    }

    foreach (var v in production)
    {
        var missing = c.InventoryFields.Where(f => v.Field(f) is null).ToList();
        var risk = v.Field(c.RiskLevelField);
        var problems = new List<string>();
        if (missing.Count > 0)
            problems.Add("missing " + string.Join(", ", missing));
        if (risk is not null && !c.RiskLevels.Contains(risk.Trim(), StringComparer.OrdinalIgnoreCase))
            problems.Add($"{c.RiskLevelField} '{risk}' is not one of {string.Join(", ", c.RiskLevels)}");
        if (c.IsHighRisk(v) && v.Field(c.HumanOversightField) is null)
            problems.Add($"high risk without {c.HumanOversightField}");
        Check(v.Resource, problems.Count == 0,
            problems.Count == 0 ? $"in production ({v.ProductionReason}); owner {v.Field(c.OwnerField)}, risk {risk}, purpose and model card recorded"
                                : $"in production ({v.ProductionReason}): {string.Join("; ", problems)}",
            new { inProduction = v.ProductionReason, fields = c.InventoryFields.Append(c.HumanOversightField).ToDictionary(f => f, f => v.Field(f)), missing });
    }
}
