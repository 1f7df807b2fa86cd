/* ---
id: H-HUGE-MESSAGE
title: Hostile H-HUGE-MESSAGE
timeout: 30s
tags: [error]
--- */
Fail("x", new string((char)120, 100 * 1024 * 1024));
