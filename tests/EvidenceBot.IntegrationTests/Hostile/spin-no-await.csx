/* ---
id: H-SPIN
title: Hostile H-SPIN
timeout: 3s
tags: [error]
--- */
var n = 0L;
for (;;) n++;
