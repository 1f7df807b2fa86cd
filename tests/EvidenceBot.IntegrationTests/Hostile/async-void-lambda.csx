/* ---
id: H-ASYNC-VOID-LAMBDA
title: Hostile H-ASYNC-VOID-LAMBDA
timeout: 3s
tags: [refused]
--- */
Action later = async () => { await Task.Delay(10); throw new InvalidOperationException("nobody awaits me either"); };
later();
Pass("x", "fired");
