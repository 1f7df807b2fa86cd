/* ---
id: H-REFLECTION
title: Hostile H-REFLECTION
timeout: 3s
tags: [refused]
--- */
var field = typeof(RuleGlobals).GetField("_context", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
Pass("x", field?.Name ?? "none");
