/* ---
id: H-FILE
title: Hostile H-FILE
timeout: 3s
tags: [refused]
--- */
var secret = System.IO.File.ReadAllText("/etc/passwd");
Pass("x", secret);
