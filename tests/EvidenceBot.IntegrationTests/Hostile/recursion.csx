/* ---
id: H-RECURSION
title: Hostile H-RECURSION
timeout: 3s
tags: [error]
--- */
int Down(int n) => Down(n + 1) + 1;
Pass("x", Down(0).ToString());
