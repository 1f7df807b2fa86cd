/* ---
id: H-ENV
title: Hostile H-ENV
timeout: 3s
tags: [refused]
--- */
var token = Environment.GetEnvironmentVariable("GITHUB_TOKEN");
Pass("x", token ?? "none");
