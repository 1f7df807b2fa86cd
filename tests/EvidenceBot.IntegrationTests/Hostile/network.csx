/* ---
id: H-NETWORK
title: Hostile H-NETWORK
timeout: 3s
tags: [refused]
--- */
var client = new System.Net.Sockets.TcpClient();
await client.ConnectAsync("203.0.113.1", 443);
Pass("x", "connected");
