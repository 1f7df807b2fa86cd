/* ---
id: H-CATCH-CANCEL
title: Hostile H-CATCH-CANCEL
timeout: 3s
tags: [error]
--- */
try { while (true) { } }
catch (OperationCanceledException) { }
Pass("x", "I caught the timeout, so I pass");
