/* ---
id: H-THREADPOOL
title: Hostile H-THREADPOOL
timeout: 3s
tags: [refused]
--- */
System.Threading.ThreadPool.SetMaxThreads(1, 1);
System.Threading.ThreadPool.QueueUserWorkItem(_ => throw new InvalidOperationException("unobserved"));
Pass("x", "queued");
