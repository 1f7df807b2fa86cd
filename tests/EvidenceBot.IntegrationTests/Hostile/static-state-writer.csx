/* ---
id: H-STATIC-A
title: Hostile H-STATIC-A
timeout: 3s
tags: [error]
--- */
// Tries to leave state behind for the next rule: a static of the same name GOOD-C reads.
static class Shared { public static string Secret = ""; }
Shared.Secret = "left by H-STATIC-A";
throw new InvalidOperationException("left a static behind: " + Shared.Secret);
