/* ---
id: H-FAILFAST
title: Hostile H-FAILFAST
timeout: 3s
tags: [refused]
--- */
Environment.FailFast("gone");
Pass("x", "gone");
