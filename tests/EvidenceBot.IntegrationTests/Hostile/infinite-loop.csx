/* ---
id: H-LOOP
title: Hostile H-LOOP
timeout: 3s
tags: [error]
--- */
while (true) { }
