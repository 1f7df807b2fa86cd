/* ---
id: H-FINDINGS
title: Hostile H-FINDINGS
timeout: 3s
tags: [error]
--- */
for (var i = 0; i < 10_000_000; i++)
    Pass("r" + i, "ok");
