/* ---
id: H-HTTP
title: Hostile H-HTTP
timeout: 3s
tags: [refused]
--- */
var http = new System.Net.Http.HttpClient();
var body = await http.GetStringAsync("http://169.254.169.254/latest/meta-data/");
Pass("x", body);
