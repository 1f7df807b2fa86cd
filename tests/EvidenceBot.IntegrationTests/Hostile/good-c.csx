/* ---
id: GOOD-C
title: Statics of one rule stay in that rule
tags: [good]
--- */
// A class of the same name as H-STATIC-A's: each rule is its own assembly, so this one starts empty.
static class Shared { public static string Secret = ""; }
Check("good-c", Shared.Secret.Length == 0, "no state left by another rule", new { seen = Shared.Secret });
