/* ---
id: EX-PASSWORD-POLICY
title: Password policy meets the minimum length
description: A self-contained example rule; it checks a policy given as parameters, no source needed.
severity: medium
sources: []
controls:
  - { id: "ISO27001:2022/A.5.17", relation: supports }
parameters: { minLength: 14, policyLength: 16 }
timeout: 10s
--- */
var required = Param<int>("minLength");
var actual = Param<int>("policyLength");
Check("password-policy", actual >= required,
      $"policy requires {actual} characters, the minimum is {required}", new { actual, required });
