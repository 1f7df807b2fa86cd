/* ---
id: H-TIMER
title: Hostile H-TIMER
timeout: 3s
tags: [refused]
--- */
var t = new System.Threading.Timer(_ => throw new InvalidOperationException("later"), null, 0, 1);
Pass("x", "armed");
