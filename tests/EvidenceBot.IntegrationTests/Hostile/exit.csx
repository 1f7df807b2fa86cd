/* ---
id: H-EXIT
title: Hostile H-EXIT
timeout: 3s
tags: [refused]
--- */
Environment.Exit(0);
Pass("x", "exited");
