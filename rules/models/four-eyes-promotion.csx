/* ---
id: MODEL-FOUR-EYES
title: Production promotions are approved by someone other than the version's creator, before promotion
description: >
  Per production version: the approver (approved_by) is recorded and is not the creator (MLflow version user_id, else
  the source run's mlflow.user; Azure ML systemData.createdBy), and the approval date (approval_date) lies between the
  version's registration and its promotion (promotion_date, else the version's last update, the latest the promotion
  can have happened). Open-source MLflow records no approver and no alias history: this evidence is a tag convention,
  as strong as the process that writes the tags.
severity: high
sources: [models]
controls:
  - { id: "ISO27001:2022/A.5.3", relation: partial }
  - { id: "ISO27001:2022/A.8.32", relation: supports }
  - { id: "ISO42001:2023/A.6.2.5", relation: supports }
  - { id: "NISTAIRMF:1.0/MANAGE-1.1", relation: supports }
  - { id: "EUAIA:2024/Art.17", relation: partial }
timeout: 10m
freshness: 24h
--- */
var c = Models.Conventions;
if (Models.Kind == RegistryKind.HuggingFace)
{
    NotApplicable(Models.Registry, "third-party Hugging Face models are not promoted in this registry");
}
else
{
    var production = await Models.ProductionVersionsAsync(Ct);
    if (production.Count == 0)
    {
        var all = await Models.ModelsAsync(Ct);
        if (all.Count == 0)
            Fail(Models.Registry, "the registry holds no registered models: no promotion can be shown approved, and an empty registry is not evidence of compliance", new { models = 0 });
        else
            NotApplicable(Models.Registry, $"{all.Count} registered model(s), none in production: no promotion to judge");
    }

    // Only versions that name no creator need their run (mlflow.user); fetched together.
    var runs = Models.Kind == RegistryKind.MLflow
        ? await Models.RunsAsync(production.Where(v => v.CreatedBy is null).Select(v => v.RunId), Ct)
        : (IReadOnlyDictionary<string, SourceRun>)new Dictionary<string, SourceRun>();
    foreach (var v in production)
    {
        var creator = v.CreatedBy;
        if (creator is null && v.RunId is not null && Models.Kind == RegistryKind.MLflow)
            creator = runs.GetValueOrDefault(v.RunId)?.User;
        var approver = v.Field(c.ApprovedByField);
        var approvalText = v.Field(c.ApprovalDateField);
        var approvedAt = ModelConventions.ParseDate(approvalText);
        var promotedAt = ModelConventions.ParseDate(v.Field(c.PromotionDateField)) ?? v.UpdatedAt;
        var observed = new { creator, approver, approvalDate = approvalText, promotedAt, registeredAt = v.CreatedAt, inProduction = v.ProductionReason };

        if (approver is null)
            Fail(v.Resource, $"promoted ({v.ProductionReason}) with no approval recorded ({c.ApprovedByField} missing)", observed);
        else if (creator is null)
            Error(v.Resource, $"approved by {approver}, but the registry names no creator (no user_id, no mlflow.user on the run): four eyes cannot be shown", observed);
        else if (string.Equals(approver.Trim(), creator.Trim(), StringComparison.OrdinalIgnoreCase))
            Fail(v.Resource, $"self-approved: {approver} created and approved this version", observed);
        else if (approvedAt is null)
            Fail(v.Resource, approvalText is null ? $"approved by {approver} with no {c.ApprovalDateField}" : $"{c.ApprovalDateField} '{approvalText}' is not a date", observed);
        else if (promotedAt is not null && approvedAt > promotedAt)
            Fail(v.Resource, $"approved by {approver} on {approvedAt:yyyy-MM-dd}, after the promotion ({promotedAt:yyyy-MM-dd})", observed);
        else if (v.CreatedAt is not null && approvedAt < v.CreatedAt.Value.Date)
            Fail(v.Resource, $"approval date {approvedAt:yyyy-MM-dd} is before the version was registered ({v.CreatedAt:yyyy-MM-dd}): it cannot be this version's approval", observed);
        else
            Pass(v.Resource, $"created by {creator}, approved by {approver} on {approvedAt:yyyy-MM-dd}, promoted ({v.ProductionReason}) by {promotedAt:yyyy-MM-dd}", observed);
    }
}
