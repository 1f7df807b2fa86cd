/* ---
id: H-UNSAFE
title: Hostile H-UNSAFE
timeout: 3s
tags: [refused]
--- */
unsafe
{
    int* p = (int*)0;
    *p = 1;
}
Pass("x", "wrote");
