/* ---
id: H-MEMORY
title: Hostile H-MEMORY
timeout: 3s
tags: [error]
--- */
var hoard = new List<byte[]>();
while (true)
{
    var block = new byte[64 * 1024 * 1024];
    block[^1] = 1;
    hoard.Add(block);
}
