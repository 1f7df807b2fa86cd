/* ---
id: H-FINALIZER
title: Hostile H-FINALIZER
timeout: 3s
tags: [refused]
--- */
class Bomb { ~Bomb() { throw new InvalidOperationException("finalizer"); } }
_ = new Bomb();
Pass("x", "armed");
