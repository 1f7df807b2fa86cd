/* ---
id: H-EMIT
title: Hostile H-EMIT
timeout: 3s
tags: [refused]
--- */
var method = new System.Reflection.Emit.DynamicMethod("x", typeof(int), Type.EmptyTypes);
Pass("x", method.Name);
