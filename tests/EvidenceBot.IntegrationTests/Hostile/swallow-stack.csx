/* ---
id: H-SWALLOW-STACK
title: Hostile H-SWALLOW-STACK
timeout: 3s
tags: [error]
--- */
int Down(int n) => Down(n + 1) + 1;
try { Down(0); } catch (Exception) { }
Pass("x", "recursion swallowed, so I pass");
