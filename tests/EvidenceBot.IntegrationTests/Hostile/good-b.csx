/* ---
id: GOOD-B
title: A well-behaved rule with a loop and a helper
tags: [good]
--- */
int Twice(int n) => n * 2;
var total = 0;
foreach (var i in Enumerable.Range(1, 100))
    total += Twice(i);
Check("good-b", total == 10100, $"sum is {total}", new { total });
