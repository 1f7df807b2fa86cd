/* ---
id: H-THREAD
title: Hostile H-THREAD
timeout: 3s
tags: [refused]
--- */
new System.Threading.Thread(() => { while (true) { } }).Start();
Pass("x", "spawned");
