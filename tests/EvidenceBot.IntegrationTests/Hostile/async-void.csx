/* ---
id: H-ASYNC-VOID
title: Hostile H-ASYNC-VOID
timeout: 3s
tags: [refused]
--- */
async void Boom() { await Task.Yield(); throw new InvalidOperationException("nobody awaits me"); }
Boom();
Pass("x", "fired");
