/* ---
id: H-GC
title: Hostile H-GC
timeout: 3s
tags: [refused]
--- */
GC.Collect();
GC.AddMemoryPressure(long.MaxValue / 2);
Pass("x", "pressed");
