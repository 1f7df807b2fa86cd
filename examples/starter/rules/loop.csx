/* ---
id: EX-RUNAWAY
title: A rule that never ends is stopped by its time bound
severity: low
timeout: 1s
--- */
var i = 0L;
while (true) { i++; }
