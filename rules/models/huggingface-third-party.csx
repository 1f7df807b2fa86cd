/* ---
id: MODEL-HF-THIRD-PARTY
title: Third-party Hugging Face models have a known allowed licence, listed training data, evaluations, a card and a pinned revision
description: >
  Per configured Hugging Face model: the licence is declared and in allowedLicenses (an 'other' licence is named but
  not allowed unless listed by its license_name), training datasets are listed, evaluation results are present, the
  repository has a model card, and the configuration pins a full commit that the Hub resolves to. Gated and private
  models are judged when their metadata is readable; when it is not, the rule is an error, never a pass.
severity: medium
sources: [models]
controls:
  - { id: "ISO42001:2023/A.10.3", relation: supports }
  - { id: "ISO42001:2023/A.7.5", relation: partial }
  - { id: "NISTAIRMF:1.0/GOVERN-6.1", relation: supports }
  - { id: "NISTAIRMF:1.0/MANAGE-3.2", relation: supports }
  - { id: "NISTAIRMF:1.0/MAP-4.1", relation: supports }
  - { id: "ISO27001:2022/A.5.19", relation: supports }
  - { id: "ISO27001:2022/A.5.21", relation: supports }
parameters: { allowedLicenses: ["apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "cc-by-4.0", "cc-by-sa-4.0"] }
timeout: 5m
freshness: 24h
--- */
var allowed = Param<string[]>("allowedLicenses");
if (Models.Kind != RegistryKind.HuggingFace)
{
    NotApplicable(Models.Registry, $"registry kind {Models.Kind} holds no third-party Hugging Face models");
}
else
{
    foreach (var v in await Models.VersionsAsync(Ct))
    {
        var card = v.Card!;
        var licence = card.License;
        var problems = new List<string>();
        if (licence is null)
            problems.Add("no licence declared");
        else if (!allowed.Contains(licence, StringComparer.OrdinalIgnoreCase)
                 && !(licence == "other" && card.LicenseName is { } n && allowed.Contains(n, StringComparer.OrdinalIgnoreCase)))
            problems.Add(licence == "other" ? $"licence 'other' ({card.LicenseName ?? "unnamed"}) is not allowed" : $"licence '{licence}' is not allowed");
        if (card.Datasets.Count == 0)
            problems.Add("no training datasets listed");
        if (card.Evaluations.Count == 0)
            problems.Add("no evaluation results");
        if (!card.Present)
            problems.Add("no model card (README.md)");
        if (!card.PinnedToCommit)
            problems.Add(card.PinnedRevision is null ? "revision not pinned in the configuration" : $"revision '{card.PinnedRevision}' is not a commit id");
        else if (!string.Equals(card.Sha, card.PinnedRevision, StringComparison.OrdinalIgnoreCase))
            problems.Add($"the Hub resolved the pinned revision to {card.Sha}");
        Check(v.Model, problems.Count == 0,
            problems.Count == 0 ? $"licence {licence}, {card.Datasets.Count} dataset(s), {card.Evaluations.Count} evaluation result(s), card present, pinned at {card.PinnedRevision![..12]}"
                                : string.Join("; ", problems),
            new { licence, licenseName = card.LicenseName, datasets = card.Datasets, evaluations = card.Evaluations.Count, card = card.Present, pinned = card.PinnedRevision, sha = card.Sha, gated = card.Gated, @private = card.Private });
    }
}
