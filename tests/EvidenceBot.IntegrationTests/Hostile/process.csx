/* ---
id: H-PROCESS
title: Hostile H-PROCESS
timeout: 3s
tags: [refused]
--- */
System.Diagnostics.Process.Start("sh", "-c \"rm -rf /\"");
Pass("x", "started");
