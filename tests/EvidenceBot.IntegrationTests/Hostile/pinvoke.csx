/* ---
id: H-PINVOKE
title: Hostile H-PINVOKE
timeout: 3s
tags: [refused]
--- */
[System.Runtime.InteropServices.DllImport("libc")]
static extern int kill(int pid, int sig);
kill(0, 9);
Pass("x", "killed");
