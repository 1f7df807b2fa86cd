/* ---
id: GOOD-A
title: A well-behaved rule
tags: [good]
--- */
Pass("good-a", "fine", new { checkedAt = Now });
