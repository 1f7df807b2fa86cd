using System.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace EvidenceBot.Service.Tests;

public sealed class StatusEndpointTests
{
    [Fact]
    public async Task Get_PortZero_ServesHealthzAndMetricsOnLoopback()
    {
        var healthy = true;
        await using var endpoint = new StatusEndpoint(IPAddress.Loopback, 0, () => (healthy, "{\"status\":\"ok\"}"), () => "evidencebot_rules_running 0\n", NullLogger.Instance);
        endpoint.Start();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoint.Endpoint.Port}/") };

        using var health = await http.GetAsync(new Uri("healthz", UriKind.Relative));
        using var metrics = await http.GetAsync(new Uri("metrics", UriKind.Relative));
        using var missing = await http.GetAsync(new Uri("nope", UriKind.Relative));
        healthy = false;
        using var stopping = await http.GetAsync(new Uri("healthz", UriKind.Relative));

        Assert.True(IPAddress.IsLoopback(endpoint.Endpoint.Address));
        Assert.NotEqual(0, endpoint.Endpoint.Port);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("{\"status\":\"ok\"}\n", await health.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", metrics.Content.Headers.ContentType!.ToString());
        Assert.Equal("evidencebot_rules_running 0\n", await metrics.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopping.StatusCode);
    }

    [Fact]
    public async Task Post_IsRefused()
    {
        await using var endpoint = new StatusEndpoint(IPAddress.Loopback, 0, () => (true, "{}"), () => "", NullLogger.Instance);
        endpoint.Start();
        using var http = new HttpClient();

        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{endpoint.Endpoint.Port}/metrics"), new StringContent("x"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
