/* ---
id: H-STATIC-CULTURE
title: Hostile H-STATIC-CULTURE
timeout: 3s
tags: [refused]
--- */
System.Globalization.CultureInfo.DefaultThreadCurrentCulture = new System.Globalization.CultureInfo("tr-TR");
Pass("x", "every rule now formats in Turkish");
