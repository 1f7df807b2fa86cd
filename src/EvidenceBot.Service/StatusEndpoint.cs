using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace EvidenceBot.Service;

/// <summary>
/// <c>/healthz</c> and <c>/metrics</c> over plain HTTP/1.1 on one address and port, loopback by default. A small
/// listener of its own, so the service needs neither ASP.NET Core nor HttpListener's URL reservations; it answers
/// GET and HEAD, one request per connection.
/// </summary>
internal sealed partial class StatusEndpoint : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);
    private readonly TcpListener _listener;
    private readonly Func<(bool Healthy, string Body)> _health;
    private readonly Func<string> _metrics;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _accepting;

    public StatusEndpoint(IPAddress address, int port, Func<(bool Healthy, string Body)> health, Func<string> metrics, ILogger log)
    {
        _listener = new TcpListener(address, port);
        _health = health;
        _metrics = metrics;
        _log = log;
    }

    /// <summary>The address and port listened on (the real port when 0 was asked for).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client, ct), CancellationToken.None);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ReadTimeout);
                var stream = client.GetStream();
                var request = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
                var (status, type, body) = Answer(request);
                var head = request.StartsWith("HEAD ", StringComparison.Ordinal);
                var bytes = Encoding.UTF8.GetBytes(body);
                var header = $"HTTP/1.1 {status}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(header), timeout.Token).ConfigureAwait(false);
                if (!head)
                    await stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                LogClientGone(_log, ex.Message);
            }
        }
    }

    private (string Status, string Type, string Body) Answer(string request)
    {
        var parts = request.Split(' ', 3);
        if (parts.Length < 2 || parts[0] is not ("GET" or "HEAD"))
            return ("405 Method Not Allowed", "text/plain; charset=utf-8", "GET /healthz or GET /metrics\n");
        var path = parts[1].Split('?')[0];
        switch (path)
        {
            case "/healthz":
                var (healthy, body) = _health();
                return (healthy ? "200 OK" : "503 Service Unavailable", "application/json; charset=utf-8", body + "\n");
            case "/metrics":
                return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", _metrics());
            default:
                return ("404 Not Found", "text/plain; charset=utf-8", "GET /healthz or GET /metrics\n");
        }
    }

    // The request line and headers, up to the blank line; a request this endpoint needs is far below 8 KiB.
    private static async Task<string> ReadHeadAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (read == 0)
                break;
            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
                break;
        }

        var text = Encoding.ASCII.GetString(buffer, 0, length);
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end >= 0 ? text[..end] : text;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accepting is not null)
            await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "status endpoint: a client went away ({Reason})")]
    private static partial void LogClientGone(ILogger log, string reason);
}
