/* ---
id: H-LOG-FLOOD
title: Hostile H-LOG-FLOOD
timeout: 3s
tags: [error]
--- */
for (var i = 0; i < 10_000_000; i++)
    Log.Info("line " + i);
